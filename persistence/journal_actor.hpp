// persistence/journal_actor.hpp — spawning the journal actor (protocol: messages/journal_protocol.hpp).
//
// The journal is the single writer of the event log. It runs detached (its own thread, so
// fsyncs never block the scheduler) and group-commits: every append that arrives while a
// commit is running or queued joins the next transaction. After an append message the actor
// sends itself a commit tick, which lands behind everything already in its mailbox, so a
// batch is flushed as soon as the mailbox is drained (or at `max_batch` events), never later.
// Each append is answered only after the transaction holding it has committed.
//
// It keeps a SystemState in step with the log (apply after commit) and writes a snapshot every
// `snapshot_every` events.
#pragma once

#include "actors/system_state.hpp"
#include "messages/journal_protocol.hpp"
#include "persistence/database.hpp"

#include <functional>
#include <memory>

namespace caf { class actor_system; }

namespace qg {

struct JournalOptions {
  // Open read-write. After spawn only the journal uses this connection.
  std::shared_ptr<Database> db;
  // The state recovered from `db` (persistence/recovery.hpp); its last_seq must be the log's.
  SystemState state;
  std::uint64_t snapshot_every = 10000;  // 0 = only on snapshot_atom
  std::size_t max_batch = 4096;          // commit at once when this many events are queued
  // Fills `ts` of events that arrive with ts == 0. Default: the system clock.
  std::function<TimeMs()> clock;
};

journal_actor spawn_journal(caf::actor_system& sys, JournalOptions options);

}  // namespace qg
