// quota/shared_append.hpp — on a log several nodes share, may an append that other nodes'
// events overtook still be written? One pure decision (docs/EVENT_LOG.md §7.3).
//
// An account actor validates against its state, which holds the other nodes' events up to
// its version (`known_seq`); the journal decides at commit with the account as the log has it
// there. When other nodes wrote the account after `known_seq`:
//   - our reservation events (ReservationCreated, -Committed, -Released, -Expired) are
//     validated again, with the same pure `validate` at the event's own time, against the
//     account as the log has it where they would go (every committed event, the others'
//     included, and the batch's earlier appends of the account that are written): written when
//     it accepts them all, so replaying the log admits and resolves exactly what was written
//     (no headroom spent twice, no reservation resolved twice); a conflict otherwise.
//   - every other event of ours (observations, cooldowns, threshold crossings, drains, specs:
//     decided from the actor's view, not only validated) conflicts, as does any append after
//     an event of a kind this build cannot judge (an unknown type).
// A reservation event written past others' events sits after them in the log but was applied
// by its actor before them, and `apply` does not commute for every pair (two commits: the
// burn EWMA; a commit and a window reset between their timestamps: `used`). So the answer of
// such a write carries the account as the log has it up to the append (`write_reordered`),
// and the actor takes that, with its appends still unanswered applied on top
// (`reordered_state`): its state is the log's order again, as replay's.
#pragma once

#include "quota/account_state.hpp"

#include <vector>

namespace qg {

// What the journal has folded of the other nodes' events on the account after the append's
// known_seq.
struct ForeignSince {
  bool any = false;     // some
  bool unsure = false;  // and one of them is of a kind no append is exempt from
};

enum class SharedVerdict {
  write,            // nothing of others' overtook it: written as validated
  write_reordered,  // others' events overtook it; validated again on the log's account: written
  conflict,         // not written: the actor re-validates against the log's account and retries
};

// May an event of ours be written past other nodes' events (re-validated)? Reservation events.
bool revalidated_past_others(const EventPayload& ours);
// Does another node's event make every later append of the account conflict? Unknown types.
bool foreign_unsure(const EventPayload& foreign);

// The verdict for one append (`ours`, in order) of an account. `log_state`: the account as the
// log has it where `ours` would go; advanced by `ours` unless the verdict is a conflict.
SharedVerdict shared_append_verdict(AccountState& log_state, const std::vector<Event>& ours, ForeignSince since);

// The actor's state after an answer `write_reordered`: the log's account up to the append
// (`current`), then the actor's own events still unanswered, in the order it applied them.
AccountState reordered_state(AccountState current, const std::vector<const std::vector<Event>*>& unanswered);

}  // namespace qg
