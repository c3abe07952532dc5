// actors/account/account_actor.cpp — the account actor: validate -> event -> persist -> apply
// (its admissions: account_reserve.cpp; its state: account_actor_state.hpp).
#include "actors/account/account_actor_state.hpp"
#include "messages/live_reservations.hpp"

#include "quota/expiry_sweep.hpp"
#include "quota/shared_append.hpp"
#include "quota/account_summary.hpp"
#include "quota/threshold_alerts.hpp"
#include "messages/router_protocol.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace qg {

namespace account_detail {

void send_summary(self_ptr self) {
  AccountSummary summary = summarize(self->state.account, self->state.opts.clock(), &self->state.breaker);
  summary.remote = self->state.opts.remote;
  caf::anon_send(self->state.opts.listener, summary_atom::value, std::move(summary),
                 caf::actor_cast<account_actor>(self));
}

// After a change of the account: its summary to the listener (the router). At once when no
// other message waits in the mailbox; else once, behind the messages waiting now (a
// summary_due_atom to itself): the changes they bring go in the same summary, and the router
// updates its view once for them, not once per change. A change reaches the router at the
// latest once the messages that waited at the change have run.
void push_summary(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.listener || st.summary_queued) return;  // a queued push carries this change too
  if (st.batching) {  // one summary when the message's commands are done (OneAppend)
    st.summary_wanted = true;
    return;
  }
  if (self->mailbox().empty()) return send_summary(self);
  st.summary_queued = true;
  self->send(self, summary_due_atom::value);
}

EventBatch one_event(Event e) {
  EventBatch batch;
  batch.push_back(std::move(e));
  return batch;
}

// The quiet events held while a message's commands run (OneAppend), to the journal as one append.
void send_quiet(self_ptr self) {
  auto& st = self->state;
  if (st.quiet.empty()) return;
  self->send(st.opts.journal, append_atom::value, std::exchange(st.quiet, {}), lazy_atom::value,
             quiet_atom::value);
}

// Runs one message's commands as one: while it lives, quiet appends wait (send_quiet) and summaries
// are noted; when it ends, the quiet events go to the journal in one append and one summary follows.
class OneAppend {
 public:
  explicit OneAppend(self_ptr self) : self_(self) { self_->state.batching = true; }
  OneAppend(const OneAppend&) = delete;
  OneAppend& operator=(const OneAppend&) = delete;
  ~OneAppend() {
    auto& st = self_->state;
    st.batching = false;
    send_quiet(self_);
    if (std::exchange(st.summary_wanted, false)) push_summary(self_);
  }

 private:
  self_ptr self_;
};

// Threshold crossings caused by the events just applied: recorded as events of their own.
void record_threshold_crossings(self_ptr self) {
  const auto& t = self->state.opts.settings;
  auto crossings = threshold_crossings(self->state.account, t.thresholds, t.anti_flapping.hysteresis);
  if (crossings.empty()) return;
  EventBatch batch;
  const TimeMs now = self->state.opts.clock();
  for (auto& c : crossings) batch.push_back(Event{0, now, self->state.account.id, std::move(c)});
  persist(self, std::move(batch), [](const std::string& err, std::uint64_t) {
    if (!err.empty()) spdlog::debug("journal: threshold crossing held until the log is writable: {}", err);
  }, [self] { record_threshold_crossings(self); });
}

// Another node wrote this account after the state our append was validated against: the
// journal left it out. The first conflict of an epoch brings the account as the log has it
// (every node's committed events; none of ours still in flight, which all conflict too):
// it replaces ours, and each conflicted command runs again against it.
void on_conflict(self_ptr self, const AppendResult& r) {
  auto& st = self->state;
  if (r.current && r.epoch > st.version.epoch) {
    st.account = *r.current;
    st.version.epoch = r.epoch;
    st.version.known_seq = r.known_seq;
    push_summary(self);
  }
}

// Our append was written after events other nodes wrote to the account since our version
// (quota/shared_append.hpp): we applied it before them, the log has it after. Our state
// becomes the log's account up to the append, with our appends still unanswered on top,
// unless a conflict has moved us to another epoch since we sent it. (Of several such appends
// in one commit only the last answer carries the account: the others change nothing here.)
void on_reordered(self_ptr self, const AppendResult& r, std::uint64_t append, std::uint64_t epoch) {
  auto& st = self->state;
  if (!r.current || epoch != st.version.epoch || r.known_seq < st.version.known_seq) return;
  std::vector<const EventBatch*> later;
  for (auto it = st.unanswered.upper_bound(append); it != st.unanswered.end(); ++it) later.push_back(&it->second);
  st.account = reordered_state(*r.current, later);
  st.version.known_seq = r.known_seq;
  push_summary(self);
}

// Sends `events` as an append the journal answers: `done` runs after the commit, `retry` instead
// when another node wrote the account first (shared logs). `lazy`: see Append.
void send_answered(self_ptr self, EventBatch events, Done done, Retry retry, bool lazy, DurableNoticePtr notice) {
  const bool is_retry = self->state.retrying;
  if (is_retry) ++self->state.retries_in_flight;
  const std::uint64_t append = ++self->state.next_append, epoch = self->state.version.epoch;
  // Only a shared log (a node id; "" on SQLite) answers `reordered`: no copy kept on one node.
  if (!self->state.opts.node.empty()) self->state.unanswered.emplace(append, events);
  auto on_error = [self, done, is_retry, append](const caf::error& err) {
    if (is_retry) --self->state.retries_in_flight;
    self->state.unanswered.erase(append);
    done(caf::to_string(err), 0);
  };
  auto on_result = [self, done = std::move(done), retry = std::move(retry), is_retry, append,
                    epoch](const AppendResult& r) {
    if (is_retry) --self->state.retries_in_flight;
    self->state.unanswered.erase(append);
    if (!r.conflict) {
      if (r.reordered) on_reordered(self, r, append, epoch);
      return done(r.error, r.last_seq);
    }
    on_conflict(self, r);
    const bool outer = std::exchange(self->state.retrying, true);
    retry();
    self->state.retrying = outer;
  };
  const auto& journal = self->state.opts.journal;
  if (lazy)
    self->request(journal, caf::infinite, append_atom::value, std::move(events), self->state.version, lazy_atom::value)
        .then(std::move(on_result), std::move(on_error));
  else if (notice)
    self->request(journal, caf::infinite, append_atom::value, std::move(events), self->state.version, std::move(notice))
        .then(std::move(on_result), std::move(on_error));
  else
    self->request(journal, caf::infinite, append_atom::value, std::move(events), self->state.version)
        .then(std::move(on_result), std::move(on_error));
}

// Applies `events` (already validated), persists them (`mode`: see Append; `done`, `retry`:
// send_answered). `notice`: the journal runs it on its thread once the append is durable, before
// `done` runs here (journal_protocol.hpp). The journal gets the account's events in the order
// they were applied here (quiet ones held by a OneAppend go first).
void persist(self_ptr self, EventBatch events, Done done, Retry retry, Append mode, DurableNoticePtr notice) {
  bool usage_changed = false;
  for (auto& e : events) {
    e.node = self->state.opts.node;  // as the log will have it (the row's node)
    apply(self->state.account, e);
    apply(self->state.breaker, e);
    usage_changed = usage_changed || !std::holds_alternative<ThresholdCrossed>(e.payload);
  }
  const bool one_node = self->state.opts.node.empty();  // no conflicts, nothing answered `reordered`
  const bool notice_answers = one_node && notice && notice->unwritten;
  if (notice_answers || (one_node && mode == Append::quiet)) {
    auto& quiet = self->state.quiet;
    quiet.insert(quiet.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
    if (notice_answers)
      self->send(self->state.opts.journal, append_atom::value, std::exchange(quiet, {}), std::move(notice),
                 quiet_atom::value);
    else if (!self->state.batching)
      send_quiet(self);
  } else {
    send_quiet(self);
    send_answered(self, std::move(events), std::move(done), std::move(retry), mode != Append::now, std::move(notice));
  }
  if (usage_changed) record_threshold_crossings(self);
  push_summary(self);
}

// An event another node committed (the journal follows the shared log): applied once, in
// seq order, through the same pure apply.
void follow(self_ptr self, const Event& e) {
  auto& st = self->state;
  if (e.seq <= st.version.known_seq) return;  // in the state a conflict brought already
  apply(st.account, e);
  apply(st.breaker, e);
  st.version.known_seq = e.seq;
  push_summary(self);
}

void expire_due(self_ptr self) {
  const TimeMs now = self->state.opts.clock();
  const auto& opts = self->state.opts;
  SweepContext sweep;
  sweep.self = opts.node;
  sweep.holds_duties = !opts.sweep_duty || opts.sweep_duty->load(std::memory_order_relaxed);
  std::optional<std::set<std::string>> live;  // read once, and only for another node's due reservation
  sweep.live = [&](const std::string& node) {
    if (!live) live = opts.live_nodes ? opts.live_nodes->live() : std::set<std::string>{};
    return live->count(node) > 0;
  };
  EventBatch expired;
  for (auto& id : reservations_to_expire(self->state.account, now, sweep))
    if (!reservation_live(id))  // a slow request keeps its reservation
      expired.push_back(Event{0, now, self->state.account.id, ReservationExpired{std::move(id)}});
  if (expired.empty()) return;
  spdlog::info("account {}: {} reservation(s) expired after their TTL", self->state.account.id,
               expired.size());
  // Another node may expire the same reservations: the version check lets one write them,
  // the other runs the sweep again on the state the log has (where they are gone).
  persist(self, std::move(expired), [](const std::string& err, std::uint64_t) {
    if (!err.empty()) spdlog::warn("journal: expired reservations held until the log is writable: {}", err);
  }, [self] { expire_due(self); });
}

// validate -> persist -> apply; `answer` runs once: at once for a no-op or rejection, else
// after the journal committed (or failed); never once persisted quietly (`mode`: see Append).
void propose(self_ptr self, EventPayload payload, std::function<void(CommandReply)> answer,
             Append mode = Append::now) {
  const TimeMs now = self->state.opts.clock();
  const auto check = validate(self->state.account, payload, now);
  if (check.verdict == Verdict::noop) return answer(CommandReply{true, 0, check.reason, ReplyCode::noop});
  if (check.verdict == Verdict::reject) {
    spdlog::warn("account {}: rejected {}: {}", self->state.account.id, event_type(payload), check.reason);
    return answer(CommandReply{false, 0, check.reason, ReplyCode::rejected});
  }
  persist(self, one_event(Event{0, now, self->state.account.id, payload}),
          [answer](const std::string& err, std::uint64_t seq) {
            answer(err.empty() ? CommandReply{true, seq, "", ReplyCode::done}
                               : CommandReply{false, 0, "event log unavailable: " + err,
                                              ReplyCode::journal_unavailable});
          },
          [self, payload, answer, mode] { propose(self, payload, answer, mode); }, mode);
}

// The barrier behind "every resolution sent before is in the log" (a clean stop, GET
// /api/v1/events). The journal's mailbox already holds this actor's earlier appends, so its
// flush lands behind them and commits them. But on a shared log an append that commit leaves
// out (a conflict: another node wrote the account) is answered, then sent again, validated
// anew, after the journal's flush began: so while such a retry is unanswered the actor
// flushes again. Not while the log is failing (held events are not written by a flush;
// conflicts wait for a commit that succeeds), and at most `rounds` times (each round is one
// commit; another node would have to write this account between every two of them).
constexpr int kMaxFlushRounds = 100;

void flush_appends(self_ptr self, caf::typed_response_promise<std::uint64_t> rp, int rounds) {
  self->request(self->state.opts.journal, caf::infinite, flush_atom::value)
      .then(
          [self, rp, rounds](std::uint64_t seq) mutable {
            const auto& health = self->state.opts.journal_health;
            const bool writable = !health || health->ok();
            const std::size_t retries = self->state.retries_in_flight;
            if (retries == 0 || !writable || rounds <= 1) {
              if (retries > 0 && writable)
                spdlog::warn("account {}: {} append(s) still conflicting after {} flushes", self->state.account.id,
                             retries, kMaxFlushRounds);
              rp.deliver(seq);
              return;
            }
            flush_appends(self, rp, rounds - 1);
          },
          [rp](const caf::error&) mutable { rp.deliver(std::uint64_t{0}); });
}

caf::result<CommandReply> propose(self_ptr self, EventPayload payload) {
  auto rp = self->make_response_promise<CommandReply>();
  propose(self, std::move(payload), [rp](CommandReply r) mutable { rp.deliver(std::move(r)); });
  return rp;
}

// An upstream call's outcome: the windows its headers showed first, as a passive QuotaObserved
// (quiet, as a settle; validate drops one that is no news), then the circuit breaker. Returns
// the breaker's event (a cooldown starting or ending) for the caller to propose.
std::optional<EventPayload> take_outcome(self_ptr self, const UpstreamOutcome& o) {
  if (!o.signals.windows.empty())
    propose(self, QuotaObserved{QuotaSource::headers, o.signals.windows}, [](CommandReply) {}, Append::quiet);
  const BreakerState before = self->state.breaker;
  auto event = on_outcome(self->state.breaker, o, self->state.opts.clock(), self->state.opts.settings.breaker);
  if (!event && breaker_view_changed(before, self->state.breaker)) push_summary(self);
  return event;
}

// A proxied request's resolution, then the outcome that came with it, as one: on one node's log
// their events go to the journal in one quiet append, and one summary follows.
void settle(self_ptr self, Settlement& s) {
  OneAppend one(self);
  propose(self, std::move(s.resolution), [](CommandReply) {}, Append::quiet);
  if (!s.outcome) return;
  if (auto event = take_outcome(self, *s.outcome)) propose(self, std::move(*event), [](CommandReply) {});
}

account_actor::behavior_type account_behavior(self_ptr self, AccountState initial,
                                              AccountActorOptions opts) {
  self->state.account = std::move(initial);
  self->state.breaker = breaker_from(self->state.account);
  self->state.opts = std::move(opts);
  self->state.version.account = self->state.account.id;
  self->state.version.known_seq = self->state.opts.known_seq;
  push_summary(self);
  self->delayed_send(self, std::chrono::milliseconds(self->state.opts.tick_interval_ms),
                     tick_atom::value);
  return {
      [=](reserve_atom, const ReserveCommand& cmd) { return reserve(self, cmd); },
      [=](reserve_atom, const ReserveCommand& cmd, const ReserveAnswerPtr& answer) {
        reserve(self, cmd, answer);
      },
      [=](propose_atom, EventPayload& payload) { return propose(self, std::move(payload)); },
      [=](propose_atom, EventPayload& payload, const CommandReplyPromise& promise) {
        propose(self, std::move(payload), [promise](CommandReply r) { promise->set_value(std::move(r)); });
      },
      [=](settle_atom, Settlement& s) { settle(self, s); },
      [=](outcome_atom, const UpstreamOutcome& o) -> caf::result<CommandReply> {
        auto event = take_outcome(self, o);
        if (!event) return CommandReply{true, 0, "", ReplyCode::done};
        return propose(self, std::move(*event));
      },
      [=](flush_atom) -> caf::result<std::uint64_t> {
        auto rp = self->make_response_promise<std::uint64_t>();
        flush_appends(self, rp, kMaxFlushRounds);
        return rp;
      },
      [=](state_atom) -> AccountState { return self->state.account; },
      [=](follow_atom, const Event& e) { follow(self, e); },
      [=](serve_atom, bool here) {
        if (self->state.opts.remote == !here) return;
        self->state.opts.remote = !here;
        push_summary(self);
      },
      [=](settings_atom, const RouterSettings& s) {
        self->state.opts.settings = s;
        record_threshold_crossings(self);
      },
      [=](summary_due_atom) {
        self->state.summary_queued = false;
        send_summary(self);
      },
      [=](tick_atom) {
        expire_due(self);
        push_summary(self);  // windows roll over with time, so the view must follow
        self->delayed_send(self, std::chrono::milliseconds(self->state.opts.tick_interval_ms),
                           tick_atom::value);
      },
  };
}

}  // namespace account_detail

account_actor spawn_account(caf::actor_system& sys, AccountState initial, AccountActorOptions opts) {
  return sys.spawn(account_detail::account_behavior, std::move(initial), std::move(opts));
}

}  // namespace qg
