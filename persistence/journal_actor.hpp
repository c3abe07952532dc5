// persistence/journal_actor.hpp — spawning the journal actor (protocol: messages/journal_protocol.hpp).
//
// The journal is the single writer of the event log. It runs detached (its own thread, so
// fsyncs never block the scheduler) and group-commits: every append that arrives while a
// commit is running or queued joins the next transaction. After an append message the actor
// sends itself a commit tick, which lands behind everything already in its mailbox, so a
// batch is flushed as soon as the mailbox is drained (or at `max_batch` events), never later.
// Each append is answered only after the transaction holding it has committed (a quiet one is
// answered to nobody); an append that carries a DurableNotice has it run on this thread right
// then, before its reply (the waiting HTTP worker's grant, not relayed through the sender).
//
// Several nodes (a shared log, docs/EVENT_LOG.md §7.3-7.4): each commit checks each conditional
// append's account version against every event before the append (EventLog::append_after:
// the append holds only if nobody appended since the state's last seq; else what other nodes
// committed since is folded, handed to `follower`, and the commit decides again) and leaves
// out — answers with a conflict and the account's current state — those validated against an
// older version, unless quota/shared_append.hpp lets them be written past the other nodes'
// events (reservation events validated again on the log's account; answered `reordered`,
// with the account in the log's order). The other appends of the batch commit as usual.
//
// It keeps a SystemState in step with the log (apply after commit) and writes a snapshot every
// `snapshot_every` events. The log may have other writers (other nodes on PostgreSQL, a CLI
// command on SQLite): when a commit's seqs do not follow the state's last seq, the events in
// between are read from the log and folded first, so the state — and every snapshot — is
// always the fold of a prefix of the log.
//
// A failed commit (disk full, read-only file system, the write lock held by another process
// past busy_timeout) loses nothing: the batch's appends are answered with the error, and its
// events are held in memory, in order, and written ahead of newer events by the next commit
// that succeeds — the next append, or a retry every `retry_ms`. `health` says which it is.
#pragma once

#include "quota/system_state.hpp"
#include "messages/journal_protocol.hpp"
#include "persistence/event_log.hpp"
#include "messages/journal_health.hpp"

#include <functional>
#include <memory>

namespace caf { class actor_system; }

namespace qg {

struct JournalOptions {
  // Open read-write (open_event_log, or an EventStore over a Database). After spawn only the
  // journal uses it.
  std::shared_ptr<EventLog> log;
  // The state recovered from `db` (persistence/recovery.hpp); its last_seq must be the log's.
  SystemState state;
  std::uint64_t snapshot_every = 10000;  // 0 = only on snapshot_atom
  std::size_t max_batch = 4096;          // commit at once when this many events are queued
  int retry_ms = 1000;                   // retry a failed write this often while events are held
  int lazy_ms = 20;                      // a lazy append waits at most this long for a commit
  // Shared with readers on other threads; created when null.
  std::shared_ptr<JournalHealth> health;
  // Fills `ts` of events that arrive with ts == 0. Default: the system clock.
  std::function<TimeMs()> clock;
  // Shared logs (PostgreSQL, several nodes): called on the journal's thread with each event
  // another node committed, in seq order, exactly once, and the journal's state with it
  // folded in (the core hands it to the account actor, or spawns one for an account first
  // met here). Following starts with the first journal_follow_atom, then runs every
  // `follow_interval_ms` and on each follow (the listener's wake-up).
  std::function<void(const Event&, const SystemState&)> follower;
  int follow_interval_ms = 250;
};

journal_actor spawn_journal(caf::actor_system& sys, JournalOptions options);

}  // namespace qg
