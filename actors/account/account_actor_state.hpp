// actors/account/account_actor_state.hpp — the account actor's state and the steps its handlers
// share across its sources (account_actor.cpp: the behaviour, persist, propose, summaries, settles;
// account_reserve.cpp: admissions). Internal to actors/account.
#pragma once

#include "actors/account/account_actor.hpp"
#include "quota/account_state.hpp"
#include "quota/circuit_breaker.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace qg::account_detail {

struct AccountActorState {
  AccountState account;
  BreakerState breaker;
  AccountActorOptions opts;
  // Optimistic concurrency on a shared log (docs/EVENT_LOG.md §7.3): the newest seq of this
  // account's events by other nodes that `account` contains, and the conflict epoch.
  AppendCondition version;
  // Appends sent again after a conflict (and whatever those retries append) that the journal
  // has not answered yet: a flush waits for them too (flush_appends).
  std::size_t retries_in_flight = 0;
  bool retrying = false;  // inside a conflict's retry: what persist sends now is a retry
  // The events of each append sent and not answered yet, by the order they were sent (and
  // applied), shared logs only: an answer `reordered` puts them back on top of the log's state.
  std::map<std::uint64_t, EventBatch> unanswered;
  std::uint64_t next_append = 0;
  // A summary push is queued behind the messages the mailbox held at a change (push_summary).
  bool summary_queued = false;
  // While one message runs several commands (a Settlement: its resolution, then its outcome):
  // their quiet appends wait here and go to the journal as one, and one summary follows (OneAppend).
  bool batching = false;
  bool summary_wanted = false;
  EventBatch quiet;

  static inline const char* name = "account";
};

using self_ptr = account_actor::stateful_pointer<AccountActorState>;

// After a change of the account: its summary to the listener (the router), coalesced.
void push_summary(self_ptr self);

// A batch of one event, moved in (a braced list would copy it).
EventBatch one_event(Event e);

using Done = std::function<void(const std::string& error, std::uint64_t seq)>;
// Runs the command again from the start (validation included) after a version conflict.
using Retry = std::function<void()>;

// How an append waits for the log. `now`: it starts a commit. `lazy`: it rides in the journal's
// next commit (journal_protocol.hpp, "lazy"). `quiet`: lazy, and on a log this node alone writes
// answered to nobody (journal_protocol.hpp, "quiet"): `done` and `retry` never run; for events
// whose answer nobody uses (a settle, a passive QuotaObserved). On a shared log it is `lazy`.
// An append `now` with a notice that takes a failed write too (DurableNotice::unwritten) is
// quiet on a log this node alone writes: the notice is its only answer (an admission).
enum class Append { now, lazy, quiet };

// Applies `events` (already validated) and appends them to the journal (account_actor.cpp).
void persist(self_ptr self, EventBatch events, Done done, Retry retry, Append mode = Append::now,
             DurableNoticePtr notice = nullptr);

// Admission, then the ReservationCreated written (account_reserve.cpp): answered to the sender
// (a response promise), or to `answer` (from the journal's thread once durable, when it can).
caf::result<ReserveReply> reserve(self_ptr self, const ReserveCommand& cmd);
void reserve(self_ptr self, const ReserveCommand& cmd, const ReserveAnswerPtr& answer);

}  // namespace qg::account_detail
