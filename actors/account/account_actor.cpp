// actors/account/account_actor.cpp — the account actor: validate -> event -> persist -> apply.
#include "actors/account/account_actor.hpp"

#include "actors/account/account_state.hpp"
#include "actors/account/reservation_ids.hpp"
#include "actors/router/account_summary.hpp"
#include "actors/router/circuit_breaker.hpp"
#include "actors/router/threshold_alerts.hpp"
#include "messages/router_protocol.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace qg {

namespace {

struct AccountActorState {
  AccountState account;
  BreakerState breaker;
  AccountActorOptions opts;
  static inline const char* name = "account";
};

using self_ptr = account_actor::stateful_pointer<AccountActorState>;

void push_summary(self_ptr self) {
  if (!self->state.opts.listener) return;
  caf::anon_send(self->state.opts.listener, summary_atom::value,
                 summarize(self->state.account, self->state.opts.clock(), &self->state.breaker),
                 caf::actor_cast<account_actor>(self));
}

using Done = std::function<void(const std::string& error, std::uint64_t seq)>;

void persist(self_ptr self, EventBatch events, Done done);

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
  });
}

// Applies `events` (already validated), persists them; `done` runs after the commit.
void persist(self_ptr self, EventBatch events, Done done) {
  bool usage_changed = false;
  for (auto& e : events) {
    apply(self->state.account, e);
    apply(self->state.breaker, e);
    usage_changed = usage_changed || !std::holds_alternative<ThresholdCrossed>(e.payload);
  }
  self->request(self->state.opts.journal, caf::infinite, append_atom::value, std::move(events))
      .then([done](const AppendResult& r) { done(r.error, r.last_seq); },
            [done](const caf::error& err) { done(caf::to_string(err), 0); });
  if (usage_changed) record_threshold_crossings(self);
  push_summary(self);
}

void expire_due(self_ptr self) {
  const TimeMs now = self->state.opts.clock();
  EventBatch expired;
  for (const auto& [id, r] : self->state.account.reservations)
    if (r.expires_at <= now) expired.push_back(Event{0, now, self->state.account.id, ReservationExpired{id}});
  if (expired.empty()) return;
  spdlog::info("account {}: {} reservation(s) expired after their TTL", self->state.account.id,
               expired.size());
  persist(self, std::move(expired), [](const std::string& err, std::uint64_t) {
    if (!err.empty()) spdlog::warn("journal: expired reservations held until the log is writable: {}", err);
  });
}

caf::result<CommandReply> propose(self_ptr self, EventPayload payload) {
  const TimeMs now = self->state.opts.clock();
  const auto check = validate(self->state.account, payload, now);
  if (check.verdict == Verdict::noop) return CommandReply{true, 0, check.reason};
  if (check.verdict == Verdict::reject) {
    spdlog::warn("account {}: rejected {}: {}", self->state.account.id, event_type(payload), check.reason);
    return CommandReply{false, 0, check.reason};
  }
  auto rp = self->make_response_promise<CommandReply>();
  persist(self, {Event{0, now, self->state.account.id, std::move(payload)}},
          [rp](const std::string& err, std::uint64_t seq) mutable {
            rp.deliver(err.empty() ? CommandReply{true, seq, ""}
                                   : CommandReply{false, 0, "event log unavailable: " + err});
          });
  return rp;
}

caf::result<ReserveReply> reserve(self_ptr self, const ReserveCommand& cmd) {
  auto& st = self->state;
  const TimeMs now = st.opts.clock();
  if (auto why = probe_refusal(st.breaker, st.account, now, st.opts.settings.breaker); !why.empty())
    return ReserveReply{"", why, ""};
  // While the log cannot be written, on_error: reject refuses before anything is recorded;
  // allow admits without waiting for the journal (which holds the event) up to a bound.
  const JournalHealth* health = st.opts.journal_health.get();
  const bool log_down = health && !health->ok();
  if (log_down && (!st.opts.allow_unpersisted || health->held() >= st.opts.max_held_events))
    return ReserveReply{"", "", "event log unavailable: " + health->view().error};
  ReservationCreated created{new_reservation_id(), cmd.model, cmd.estimate, now + cmd.ttl_ms};
  const auto check = validate(st.account, created, now);
  if (check.verdict != Verdict::accept) return ReserveReply{"", check.reason, ""};
  if (half_open(st.account.cooldown_until, now)) begin_probe(st.breaker, now);
  const std::string id = created.id;
  auto rp = self->make_response_promise<ReserveReply>();
  persist(self, {Event{0, now, st.account.id, std::move(created)}},
          [self, rp, id, answered = log_down](const std::string& err, std::uint64_t) mutable {
            if (answered) return;  // admitted below without waiting (allow, log down)
            if (err.empty() || self->state.opts.allow_unpersisted) {
              if (!err.empty()) spdlog::warn("journal failed, admitting anyway (on_error: allow): {}", err);
              rp.deliver(ReserveReply{id, "", ""});
              return;
            }
            // Refused (on_error: reject). The journal holds the ReservationCreated and writes it
            // once it can; the release behind it keeps memory and log in step, counting nothing.
            auto& acc = self->state.account;
            persist(self, {Event{0, self->state.opts.clock(), acc.id,
                                 ReservationReleased{id, "event log unavailable"}}},
                    [](const std::string&, std::uint64_t) {});
            rp.deliver(ReserveReply{"", "", "event log unavailable: " + err});
          });
  if (log_down) rp.deliver(ReserveReply{id, "", ""});
  return rp;
}

account_actor::behavior_type account_behavior(self_ptr self, AccountState initial,
                                              AccountActorOptions opts) {
  self->state.account = std::move(initial);
  self->state.breaker.open_until = self->state.account.cooldown_until;
  self->state.opts = std::move(opts);
  push_summary(self);
  self->delayed_send(self, std::chrono::milliseconds(self->state.opts.tick_interval_ms),
                     tick_atom::value);
  return {
      [=](reserve_atom, const ReserveCommand& cmd) { return reserve(self, cmd); },
      [=](propose_atom, EventPayload& payload) { return propose(self, std::move(payload)); },
      [=](outcome_atom, const Outcome& o) -> caf::result<CommandReply> {
        auto event = on_outcome(self->state.breaker, o, self->state.opts.clock(),
                                self->state.opts.settings.breaker);
        if (!event) {
          push_summary(self);  // error rate / probe slot changed
          return CommandReply{true, 0, ""};
        }
        return propose(self, std::move(*event));
      },
      [=](state_atom) -> AccountState { return self->state.account; },
      [=](settings_atom, const RouterSettings& s) {
        self->state.opts.settings = s;
        record_threshold_crossings(self);
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
