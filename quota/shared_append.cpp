// quota/shared_append.cpp — see shared_append.hpp.
#include "quota/shared_append.hpp"

#include <type_traits>

namespace qg {

bool revalidated_past_others(const EventPayload& ours) {
  return std::holds_alternative<ReservationCreated>(ours) || std::holds_alternative<ReservationCommitted>(ours) ||
         std::holds_alternative<ReservationReleased>(ours) || std::holds_alternative<ReservationExpired>(ours);
}

bool foreign_unsure(const EventPayload& foreign) { return std::holds_alternative<UnknownEvent>(foreign); }

SharedVerdict shared_append_verdict(AccountState& log_state, const std::vector<Event>& ours, ForeignSince since) {
  if (!since.any) {
    for (const auto& e : ours) apply(log_state, e);
    return SharedVerdict::write;
  }
  if (since.unsure) return SharedVerdict::conflict;
  AccountState next = log_state;
  for (const auto& e : ours) {
    if (!revalidated_past_others(e.payload)) return SharedVerdict::conflict;
    if (validate(next, e.payload, e.ts).verdict != Verdict::accept) return SharedVerdict::conflict;
    apply(next, e);
  }
  log_state = std::move(next);
  return SharedVerdict::write_reordered;
}

AccountState reordered_state(AccountState current, const std::vector<const std::vector<Event>*>& unanswered) {
  for (const auto* batch : unanswered)
    for (const auto& e : *batch) apply(current, e);
  return current;
}

}  // namespace qg
