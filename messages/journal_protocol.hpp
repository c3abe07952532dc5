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
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qg {

struct AccountState;
using EventBatch = std::vector<Event>;

// Optimistic concurrency for one account's events on a log shared by several nodes
// (docs/EVENT_LOG.md §7.3). `known_seq`: the highest seq of this account's events written by
// other nodes that the state the batch was validated against contains. `epoch`: the account's
// conflict epoch the sender is in (0 at first; a conflict answer names the next one).
struct AppendCondition {
  std::string account;
  std::uint64_t known_seq = 0;
  std::uint64_t epoch = 0;
};

struct AppendResult {
  std::uint64_t last_seq = 0;      // seq of the batch's last event (0 on error)
  std::string error;               // empty on success
  // Conditional appends only: nothing of the batch was written because another node wrote
  // this account's events after `known_seq` and the batch cannot be written past them
  // (quota/shared_append.hpp), or an earlier batch of the same epoch conflicted.
  // The sender re-validates against `current` and retries or refuses.
  bool conflict = false;
  // Conditional appends only: written, but after events other nodes wrote to the account
  // since `known_seq` (the batch's reservation events were validated again against the
  // account as the log has it there). `current` is the account up to and including the batch,
  // in the log's order: the sender takes it, with its appends still unanswered on top. (Of
  // an account's reordered batches in one commit only the last answer carries `current`.)
  bool reordered = false;
  std::uint64_t epoch = 0;          // the account's epoch now: send retries with it
  std::uint64_t known_seq = 0;      // what `current` contains of other nodes' events
  // The account as the log has it now (every node's committed events), on the first conflict
  // of an epoch (null on the conflicts that follow it in the same epoch), and on the last
  // `reordered` answer of the account in a commit.
  std::shared_ptr<const AccountState> current;

  static AppendResult written(std::uint64_t last_seq) {
    AppendResult r;
    r.last_seq = last_seq;
    return r;
  }
  static AppendResult failed(std::string error) {
    AppendResult r;
    r.error = std::move(error);
    return r;
  }
};


// What the journal runs on its own thread right after the commit that made an append durable,
// before the append's own reply goes out, and only then: never for an append that conflicts or
// whose write fails (those are answered to the sender alone, which decides what follows). For
// an answer a client waits on behind the append — an admitted reservation's grant to the HTTP
// worker (messages/account_protocol.hpp, ReserveAnswer) — so that it reaches the waiting thread
// from the journal directly instead of through the sender's mailbox and the actor scheduler
// (one thread hand-off less; docs/PERFORMANCE.md, issue 17 sixth pass). It must be quick and
// never block: it runs between the commit and the replies to the batch's other appends.
struct DurableNotice {
  std::function<void()> run;
  // A quiet append's (below) only: run on the journal's thread instead of `run` when the commit
  // that held the append failed (the error; the events are held and written later as always),
  // since no reply tells the sender. Quick and non-blocking as `run`; it must not touch the
  // sender's state (a message to the sender may).
  std::function<void(const std::string& error)> unwritten;
};
using DurableNoticePtr = std::shared_ptr<DurableNotice>;

using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
// Internal: the journal's own "mailbox drained, commit now" tick, and its retry timer while
// events are held after a failed write.
using journal_tick_atom = caf::atom_constant<caf::atom("jtick")>;
using journal_retry_atom = caf::atom_constant<caf::atom("jretry")>;
// Read other nodes' new events now (the log's listener on a notification, and a timer).
using journal_follow_atom = caf::atom_constant<caf::atom("jfollow")>;
using journal_poll_atom = caf::atom_constant<caf::atom("jpoll")>;
// Marks an append as lazy (below); internal: the timer that commits lazy appends left alone.
using lazy_atom = caf::atom_constant<caf::atom("lazy")>;
using journal_lazy_atom = caf::atom_constant<caf::atom("jlazy")>;
// Marks an append as quiet (below): answered to nobody.
using quiet_atom = caf::atom_constant<caf::atom("quiet")>;

// follow: read other nodes' new events now (shared logs; the first one also starts the
//         follow timer, JournalOptions::follow_interval_ms).
// append: persist the batch in order, reply after commit. With an AppendCondition: the same,
//         unless the account's version moved (then `conflict`, nothing written).
//         With lazy_atom: the same, but the append does not start a commit of its own; it
//         rides in the next one another append starts, or in one of its own after
//         JournalOptions::lazy_ms. For events no answer waits for (a proxied request's commit:
//         docs/EVENT_LOG.md §3), so that at a steady request rate they share the reservations'
//         fsyncs instead of adding their own, which the next reservation would wait behind.
//         With a DurableNoticePtr: the same, and the notice runs on the journal's thread once
//         the append is durable (above), before its reply.
//         With lazy_atom, quiet_atom (sent, not requested): a lazy append that is answered to
//         nobody — no reply after its commit, nor after a failed write (its events are held and
//         written later like any other's). For events whose sender does nothing with the answer
//         (a proxied request's commit and the QuotaObserved of its reply) on a log this node
//         alone writes: unconditional, so never a conflict, which only an answer could tell.
//         It saves the sender the reply's message and its handling (issue 17, tenth pass).
//         With a DurableNoticePtr, quiet_atom: the same, not lazy, and the notice is the only
//         answer — `run` once durable, `unwritten` if the write failed (an admission on a log
//         this node alone writes: the notice answers the waiting worker either way).
// flush: commit everything appended before it (returns the last seq written; events still
//        held after a failed write are not in it: see messages/journal_health.hpp).
// snapshot: write a snapshot of the state at the current seq now (returns its seq).
using journal_actor = caf::typed_actor<
    caf::replies_to<append_atom, EventBatch>::with<AppendResult>,
    caf::replies_to<append_atom, EventBatch, AppendCondition>::with<AppendResult>,
    caf::replies_to<append_atom, EventBatch, AppendCondition, lazy_atom>::with<AppendResult>,
    caf::replies_to<append_atom, EventBatch, AppendCondition, DurableNoticePtr>::with<AppendResult>,
    caf::reacts_to<append_atom, EventBatch, lazy_atom, quiet_atom>,
    caf::reacts_to<append_atom, EventBatch, DurableNoticePtr, quiet_atom>,
    caf::replies_to<flush_atom>::with<std::uint64_t>,
    caf::replies_to<snapshot_atom>::with<std::uint64_t>,
    caf::reacts_to<journal_tick_atom>,
    caf::reacts_to<journal_retry_atom>,
    caf::reacts_to<journal_follow_atom>,
    caf::reacts_to<journal_poll_atom>,
    caf::reacts_to<journal_lazy_atom>>;

}  // namespace qg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::EventBatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::AppendResult)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::AppendCondition)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::DurableNoticePtr)
