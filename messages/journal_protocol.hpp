// messages/journal_protocol.hpp — the message interface of the journal actor.
//
// The journal is the single writer of the event log. Appends from every actor are batched
// into one SQLite transaction (group commit); a reply is sent only after the transaction
// that holds the batch has committed, and carries the seq the journal assigned to its last
// event. On a write failure the reply's `error` is set and nothing of the batch is visible
// yet: the journal holds the events and writes them, in order and ahead of anything newer, as
// soon as a write succeeds again (messages/journal_health.hpp). An actor that must not let
// an unwritten effect stand appends a compensating event (a refused reservation is released).
#pragma once

#include "messages/event.hpp"

#include <caf/atom.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

using EventBatch = std::vector<Event>;

struct AppendResult {
  std::uint64_t last_seq = 0;      // seq of the batch's last event (0 on error)
  std::string error;               // empty on success
};

using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
// Internal: the journal's own "mailbox drained, commit now" tick, and its retry timer while
// events are held after a failed write.
using journal_tick_atom = caf::atom_constant<caf::atom("jtick")>;
using journal_retry_atom = caf::atom_constant<caf::atom("jretry")>;

// append: persist the batch in order, reply after commit.
// flush: commit everything appended before it (returns the last seq written; events still
//        held after a failed write are not in it: see messages/journal_health.hpp).
// snapshot: write a snapshot of the state at the current seq now (returns its seq).
using journal_actor = caf::typed_actor<
    caf::replies_to<append_atom, EventBatch>::with<AppendResult>,
    caf::replies_to<flush_atom>::with<std::uint64_t>,
    caf::replies_to<snapshot_atom>::with<std::uint64_t>,
    caf::reacts_to<journal_tick_atom>,
    caf::reacts_to<journal_retry_atom>>;

}  // namespace qg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::EventBatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::AppendResult)
