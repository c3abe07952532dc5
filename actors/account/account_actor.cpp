// actors/account/account_actor.cpp — the account actor: validate -> event -> persist -> apply.
#include "actors/account/account_actor.hpp"
#include "messages/live_reservations.hpp"

#include "quota/account_state.hpp"
#include "quota/expiry_sweep.hpp"
#include "quota/shared_append.hpp"
#include "quota/admission.hpp"
#include "quota/reservation_ids.hpp"
#include "quota/account_summary.hpp"
#include "quota/circuit_breaker.hpp"
#include "quota/threshold_alerts.hpp"
#include "messages/router_protocol.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace qg {

namespace {

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

  static inline const char* name = "account";
};

using self_ptr = account_actor::stateful_pointer<AccountActorState>;

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
  if (self->mailbox().empty()) return send_summary(self);
  st.summary_queued = true;
  self->send(self, summary_due_atom::value);
}

// A batch of one event, moved in (a braced list would copy it).
EventBatch one_event(Event e) {
  EventBatch batch;
  batch.push_back(std::move(e));
  return batch;
}

using Done = std::function<void(const std::string& error, std::uint64_t seq)>;
// Runs the command again from the start (validation included) after a version conflict.
using Retry = std::function<void()>;

void persist(self_ptr self, EventBatch events, Done done, Retry retry, bool lazy = false,
             DurableNoticePtr notice = nullptr);

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

// Applies `events` (already validated), persists them; `done` runs after the commit, `retry`
// instead when another node wrote the account first (shared logs). `lazy`: the append waits
// for the journal's next commit (settle_atom, journal_protocol.hpp). `notice`: the journal runs
// it on its thread once the append is durable, before `done` runs here (journal_protocol.hpp).
void persist(self_ptr self, EventBatch events, Done done, Retry retry, bool lazy, DurableNoticePtr notice) {
  bool usage_changed = false;
  for (auto& e : events) {
    e.node = self->state.opts.node;  // as the log will have it (the row's node)
    apply(self->state.account, e);
    apply(self->state.breaker, e);
    usage_changed = usage_changed || !std::holds_alternative<ThresholdCrossed>(e.payload);
  }
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
  if (lazy)
    self->request(self->state.opts.journal, caf::infinite, append_atom::value, std::move(events),
                  self->state.version, lazy_atom::value)
        .then(std::move(on_result), std::move(on_error));
  else if (notice)
    self->request(self->state.opts.journal, caf::infinite, append_atom::value, std::move(events),
                  self->state.version, std::move(notice))
        .then(std::move(on_result), std::move(on_error));
  else
    self->request(self->state.opts.journal, caf::infinite, append_atom::value, std::move(events),
                  self->state.version)
        .then(std::move(on_result), std::move(on_error));
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
// after the journal committed (or failed). `lazy`: see persist.
void propose(self_ptr self, EventPayload payload, std::function<void(CommandReply)> answer, bool lazy = false) {
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
          [self, payload, answer, lazy] { propose(self, payload, answer, lazy); }, lazy);
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

// The release behind a ReservationCreated the log could not take (on_error: reject): the
// journal writes both once it can, counting nothing.
void release_unwritten(self_ptr self, const std::string& id) {
  const Event release{0, self->state.opts.clock(), self->state.account.id,
                      ReservationReleased{id, "event log unavailable"}};
  persist(self, {release}, [](const std::string&, std::uint64_t) {},
          [self, id] {
            if (self->state.account.reservations.count(id)) release_unwritten(self, id);
          });
}

ReserveReply refused(std::string why) {
  ReserveReply r;
  r.refusal = std::move(why);
  return r;
}

ReserveReply log_unavailable(const std::string& error) {
  ReserveReply r;
  r.error = "event log unavailable: " + error;
  return r;
}

// Where a reservation's reply goes. `any_thread`: it may run on the journal's thread (a
// ReserveAnswer, messages/account_protocol.hpp), not only on this actor's (a response promise).
struct ReplyTo {
  std::function<void(ReserveReply)> fn;
  bool any_thread = false;
  void operator()(ReserveReply r) const { fn(std::move(r)); }
};

ReservationCreated new_reservation(const ReserveCommand& cmd) {
  return ReservationCreated{new_reservation_id(), cmd.model, cmd.estimate, 0, cmd.request_id, cmd.dialect,
                            cmd.asked, cmd.client, cmd.pinned};
}

// Admission, then the ReservationCreated written; `reply` runs once: at once for a refusal (or
// when the log is down and on_error: allow admits without waiting), else once the
// ReservationCreated is durable — on the journal's thread, right after its commit, when
// `reply.any_thread` (the admission then does not wait for this actor to take the journal's
// reply from its mailbox; docs/EVENT_LOG.md §3), else here. After a version conflict it runs
// again, same id.
void reserve(self_ptr self, ReservationCreated created, TimeMs ttl_ms, ReplyTo reply) {
  auto& st = self->state;
  const TimeMs now = st.opts.clock();
  created.expires_at = now + ttl_ms;
  const Admission a = admit(st.account, st.breaker, st.opts.journal_health.get(),
                            {st.opts.allow_unpersisted, st.opts.max_held_events, st.opts.settings.breaker},
                            created, now);
  if (a.verdict == Admission::Verdict::refuse) return reply(refused(a.reason));
  if (a.verdict == Admission::Verdict::journal_unavailable) return reply(log_unavailable(a.reason));
  if (a.probe) begin_probe(st.breaker, now);
  const bool log_down = !a.wait_for_commit;
  // The admission, shared by the answers below (whichever runs copies it once).
  auto admitted = std::make_shared<ReserveReply>();
  admitted->reservation_id = created.id;
  admitted->provider = st.account.spec.provider;
  admitted->base_url = st.account.spec.base_url;
  admitted->prefix = st.account.spec.prefix;
  // Durable and admitted: the journal answers the waiting worker itself (it runs the notice
  // only for an append it wrote; a conflict or a failed write comes back here).
  DurableNoticePtr notice;
  if (reply.any_thread && !log_down)
    notice = std::make_shared<DurableNotice>(DurableNotice{[reply, admitted] { reply(*admitted); }});
  const bool journal_answers = notice != nullptr;
  persist(self, one_event(Event{0, now, st.account.id, created}),
          [self, reply, admitted, answered = log_down, journal_answers](const std::string& err, std::uint64_t) {
            if (answered) return;  // admitted below without waiting (allow, log down)
            if (err.empty() && journal_answers) return;  // the journal ran the notice
            if (err.empty() || self->state.opts.allow_unpersisted) {
              if (!err.empty()) spdlog::warn("journal failed, admitting anyway (on_error: allow): {}", err);
              reply(*admitted);
              return;
            }
            // Refused (on_error: reject). The journal holds the ReservationCreated and writes it
            // once it can; the release behind it keeps memory and log in step, counting nothing.
            release_unwritten(self, admitted->reservation_id);
            reply(log_unavailable(err));
          },
          [self, created, ttl_ms, reply, log_down]() mutable {
            if (log_down) return;  // answered already; the reservation stands as written
            reserve(self, std::move(created), ttl_ms, std::move(reply));
          },
          /*lazy=*/false, std::move(notice));
  if (log_down) reply(*admitted);  // admitted without waiting (on_error: allow, log down)
}

caf::result<ReserveReply> reserve(self_ptr self, const ReserveCommand& cmd) {
  auto rp = self->make_response_promise<ReserveReply>();
  // A response promise is delivered on this actor's thread only.
  reserve(self, new_reservation(cmd), cmd.ttl_ms,
          ReplyTo{[rp](ReserveReply r) mutable { rp.deliver(std::move(r)); }, false});
  return rp;
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
        reserve(self, new_reservation(cmd), cmd.ttl_ms, ReplyTo{[answer](ReserveReply r) { (*answer)(std::move(r)); }, true});
      },
      [=](propose_atom, EventPayload& payload) { return propose(self, std::move(payload)); },
      [=](propose_atom, EventPayload& payload, const CommandReplyPromise& promise) {
        propose(self, std::move(payload), [promise](CommandReply r) { promise->set_value(std::move(r)); });
      },
      [=](settle_atom, EventPayload& payload, const CommandReplyPromise& promise) {
        propose(self, std::move(payload), [promise](CommandReply r) { promise->set_value(std::move(r)); }, true);
      },
      [=](outcome_atom, const UpstreamOutcome& o) -> caf::result<CommandReply> {
        // The windows the reply's headers showed: a passive QuotaObserved, first (appended
        // lazily, as a settle; validate drops one that is no news). One message per reply.
        if (!o.signals.windows.empty())
          propose(self, QuotaObserved{QuotaSource::headers, o.signals.windows}, [](CommandReply) {}, /*lazy=*/true);
        const BreakerState before = self->state.breaker;
        auto event = on_outcome(self->state.breaker, o, self->state.opts.clock(),
                                self->state.opts.settings.breaker);
        if (!event) {
          if (breaker_view_changed(before, self->state.breaker)) push_summary(self);
          return CommandReply{true, 0, "", ReplyCode::done};
        }
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

}  // namespace

account_actor spawn_account(caf::actor_system& sys, AccountState initial, AccountActorOptions opts) {
  return sys.spawn(account_behavior, std::move(initial), std::move(opts));
}

}  // namespace qg
