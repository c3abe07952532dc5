// quota/admission.cpp — see admission.hpp.
#include "quota/admission.hpp"

namespace qg {

Admission admit(const AccountState& state, const BreakerState& breaker, const JournalHealth* journal,
                const AdmissionOptions& options, const ReservationCreated& reservation, TimeMs now) {
  Admission a;
  if (auto why = probe_refusal(breaker, state, now, options.breaker); !why.empty()) {
    a.verdict = Admission::Verdict::refuse;
    a.reason = std::move(why);
    return a;
  }
  const bool log_down = journal && !journal->ok();  // atomics: no lock on the hot path
  if (log_down && (!options.allow_unpersisted || journal->held() >= options.max_held_events)) {
    a.verdict = Admission::Verdict::journal_unavailable;
    a.reason = journal->view().error;
    return a;
  }
  const auto check = validate(state, reservation, now);
  if (check.verdict != Verdict::accept) {
    a.verdict = Admission::Verdict::refuse;
    a.reason = check.reason;
    return a;
  }
  a.probe = half_open(state.cooldown_until, now);
  a.wait_for_commit = !log_down;
  return a;
}

}  // namespace qg
