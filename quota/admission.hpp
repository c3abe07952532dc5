// quota/admission.hpp — may this account take this reservation now? One pure decision.
//
// The account actor's `reserve` is a thin shell around `admit`: it builds the
// ReservationCreated, calls admit with its state, breaker and the journal's health, and acts
// on the answer (persist, start the probe, answer now or after the commit). In order:
//   1. the circuit breaker: half-open with the probe slot taken -> refuse ("probe in flight");
//   2. the event log (storage.on_error): while it cannot be written, reject refuses at once,
//      allow admits without waiting for the commit while fewer than max_held_events are held;
//   3. the quota: validate(state, ReservationCreated, now) (quota/account_state.hpp);
//   4. admitted; when the breaker is half-open this reservation is the probe.
// No clock, no I/O: `now` and a snapshot of the journal's health come in.
#pragma once

#include "messages/event.hpp"
#include "messages/journal_health.hpp"
#include "quota/account_state.hpp"
#include "quota/circuit_breaker.hpp"

#include <cstddef>
#include <string>

namespace qg {

struct AdmissionOptions {
  bool allow_unpersisted = false;          // storage.on_error: allow
  std::size_t max_held_events = 100'000;   // allow: beyond this many held events, refuse
  BreakerSettings breaker;
};

struct Admission {
  enum class Verdict {
    admit,
    refuse,               // the breaker or the quota says no: `reason`; try another account
    journal_unavailable,  // the event log cannot take it: `reason` is the write error
  };
  Verdict verdict = Verdict::admit;
  std::string reason;
  bool probe = false;             // admitted to a half-open account: it is the breaker's probe
  bool wait_for_commit = true;    // false: answer at once (allow while the log is down)
};

// `journal` may be null (always writable).
Admission admit(const AccountState& state, const BreakerState& breaker, const JournalHealth* journal,
                const AdmissionOptions& options, const ReservationCreated& reservation, TimeMs now);

}  // namespace qg
