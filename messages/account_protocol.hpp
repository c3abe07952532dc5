// messages/account_protocol.hpp — the message interface of an account actor.
//
// One actor per provider account holds that account's AccountState and is the single point
// of admission for its quota: every change is proposed to it as an event payload, validated
// against its state (qg::validate), applied, appended to the journal, and answered only once
// the journal has committed it.
#pragma once

#include "messages/event.hpp"
#include "messages/journal_protocol.hpp"  // flush_atom
#include "messages/live_reservations.hpp"
#include "messages/upstream_outcome.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

namespace qg {

struct AccountState;
struct RouterSettings;

struct ReserveCommand {
  Usage estimate;
  std::string model;
  TimeMs ttl_ms = 600'000;
  std::string request_id;  // stored in ReservationCreated ("" when none)
  std::string dialect;               // recorded on ReservationCreated ("" = not a proxied request)
  std::string asked;                 // model asked, when `model` is a fallback (ReservationCreated.asked)
  std::string client;                // client key id (ReservationCreated.client)
  bool pinned = false;               // the caller chose the account (ReservationCreated.pinned)
};

// Exactly one of: reservation_id set (admitted), refusal set (quota/state said no), error set
// (the journal could not persist; the request must fail closed unless on_error: allow).
struct ReserveReply {
  std::string reservation_id;
  std::string refusal;
  std::string error;
  // When admitted: how to reach the account, from its spec at admission (the proxy needs no
  // second lookup).
  std::string provider;
  std::string base_url;
  std::string prefix;
  bool ok() const { return !reservation_id.empty(); }
};

// Where a reservation's reply goes when the sender does not wait for it itself: called exactly
// once — an admission on the journal's thread, right after the commit that made the
// ReservationCreated durable (a DurableNotice, messages/journal_protocol.hpp: the account hands
// the journal the answer with the append), anything else (a refusal, a failed write, an
// admission under on_error: allow) on the account actor's thread; never on both, as the
// account answers only when the journal did not. So it must not touch actor state: the router
// passes one that fulfils the waiting HTTP worker's promise with its grant and messages the
// router (actors/router/router_actor.cpp): no relay through the router, nor back through the
// account's mailbox. Destroyed unanswered (the account actor stopped with the message in its
// mailbox), it is answered with a refusal, as an unreachable account.
class ReserveAnswer {
 public:
  explicit ReserveAnswer(std::function<void(ReserveReply)> fn) : fn_(std::move(fn)) {}
  ReserveAnswer(const ReserveAnswer&) = delete;
  ReserveAnswer& operator=(const ReserveAnswer&) = delete;
  ~ReserveAnswer() {
    if (fn_) {
      ReserveReply r;
      r.refusal = "account actor stopped";
      fn_(std::move(r));
    }
  }
  void operator()(ReserveReply r) {
    if (!fn_) return;
    auto fn = std::move(fn_);
    fn_ = nullptr;
    fn(std::move(r));
  }

 private:
  std::function<void(ReserveReply)> fn_;
};
using ReserveAnswerPtr = std::shared_ptr<ReserveAnswer>;

// What a command's answer means; callers branch on this, never on the text.
enum class ReplyCode {
  done,                 // written (seq > 0) or nothing to write
  noop,                 // already so ("already draining"); ok, `error` says why
  rejected,             // the state refuses it (validate); `error` says why
  journal_unavailable,  // the event log could not be written; `error` has the cause
  unknown_account,      // no such account
};

// Answer to a proposed event: `ok` with the seq written (0 when nothing needed writing), or
// the rejection reason / journal error.
struct CommandReply {
  bool ok = false;
  std::uint64_t seq = 0;
  std::string error;
  ReplyCode code = ReplyCode::done;
};

// Non-actor threads (HTTP workers) send a command with a promise and wait on its future
// (a promise bridge: no scoped_actor per call).
using CommandReplyPromise = std::shared_ptr<std::promise<CommandReply>>;

// A proxied request's resolution, handed over without waiting (settle_atom): its commit or
// release and, when the proxy reports them together, the outcome of the upstream call that
// ended it — one message instead of a settle and an outcome (issue 17, tenth pass).
struct Settlement {
  EventPayload resolution;                 // ReservationCommitted or ReservationReleased
  std::optional<UpstreamOutcome> outcome;  // taken right after the resolution, as outcome_atom
  // Holds the reservation live (messages/live_reservations.hpp) until the account has taken
  // the resolution: an expiry sweep never beats a late commit.
  std::shared_ptr<const LiveReservation> live;
};

using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using propose_atom = caf::atom_constant<caf::atom("propose")>;
using state_atom = caf::atom_constant<caf::atom("state")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;
using settings_atom = caf::atom_constant<caf::atom("settings")>;
using follow_atom = caf::atom_constant<caf::atom("follow")>;
using settle_atom = caf::atom_constant<caf::atom("settle")>;
using serve_atom = caf::atom_constant<caf::atom("serve")>;
using summary_due_atom = caf::atom_constant<caf::atom("sumdue")>;

// reserve: admit and record a reservation (ReservationCreated); with a ReserveAnswer, the
//          reply goes to it instead of the sender (answered once the event is durable, as the
//          reply is; an admission by the journal, see ReserveAnswer).
// propose: validate + persist + apply any other event concerning this account
//          (commit/release/expire, QuotaObserved, cooldowns, drain/resume, spec changes);
//          with a promise, the answer goes into it (HTTP workers send this directly).
// settle:  propose for an event no client answer waits for (a proxied request's commit or
//          release; a passive QuotaObserved comes with its outcome): the same, but its append may wait for the
//          journal's next commit, at most JournalOptions::lazy_ms (journal_protocol.hpp, "lazy"),
//          and nobody is answered. With the Settlement's outcome: that outcome right after it, as
//          outcome_atom would, and on a log this node alone writes the events of both go to the
//          journal as one quiet append (journal_protocol.hpp) — the account applies the
//          resolution before any later command either way (docs/EVENT_LOG.md §3).
// flush:   answers once every event this actor appended before it is committed (the journal's
//          flush behind them): the barrier behind "the log shows every request answered"
//          (proxied commits are sent without waiting, see messages/proxy_backend.hpp).
// state:   the full current state (admin API, /qg_status).
// outcome: the result of an upstream call (circuit breaker; may start/end a cooldown), and
//          the rate-limit windows its headers showed (a passive QuotaObserved, as a settle).
// settings: the router's current settings (thresholds, breaker) the account acts on.
// tick:    expire reservations whose TTL passed; the actor schedules it itself.
// follow:  an event of this account another node committed (several nodes on PostgreSQL: the
//          journal follows the shared log, docs/EVENT_LOG.md §7.4); applied once, in seq order.
// summary_due: (from itself) sends the summary a change queued behind the mailbox's messages
//          (actors/account/account_actor.cpp push_summary).
// serve:   whether this node holds the account's credential (false: known only from other
//          nodes' events; its summary says `remote` and the router never picks it).
using account_actor = caf::typed_actor<
    caf::replies_to<reserve_atom, ReserveCommand>::with<ReserveReply>,
    caf::reacts_to<reserve_atom, ReserveCommand, ReserveAnswerPtr>,
    caf::replies_to<propose_atom, EventPayload>::with<CommandReply>,
    caf::reacts_to<propose_atom, EventPayload, CommandReplyPromise>,
    caf::reacts_to<settle_atom, Settlement>,
    caf::replies_to<outcome_atom, UpstreamOutcome>::with<CommandReply>,
    caf::replies_to<flush_atom>::with<std::uint64_t>,
    caf::replies_to<state_atom>::with<AccountState>,
    caf::reacts_to<settings_atom, RouterSettings>,
    caf::reacts_to<tick_atom>,
    caf::reacts_to<follow_atom, Event>,
    caf::reacts_to<serve_atom, bool>,
    caf::reacts_to<summary_due_atom>>;

}  // namespace qg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::ReserveCommand)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::ReserveReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::ReserveAnswerPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::CommandReply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::CommandReplyPromise)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::Settlement)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::EventPayload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::Event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::AccountState)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::UpstreamOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouterSettings)
