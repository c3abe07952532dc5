// actors/account/account_actor.cpp — the account actor: validate -> event -> persist -> apply.
#include "actors/account/account_actor.hpp"

#include "actors/account/account_state.hpp"
#include "actors/account/reservation_ids.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace qg {

TimeMs system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

AccountState without_ledger(const AccountState& s) {
  AccountState v;
  v.id = s.id;
  v.spec = s.spec;
  v.removed = s.removed;
  v.drained = s.drained;
  v.cooldown_until = s.cooldown_until;
  v.cooldown_reason = s.cooldown_reason;
  v.cooldown_detail = s.cooldown_detail;
  v.windows = s.windows;
  v.counters = s.counters;
  v.last_event_at = s.last_event_at;
  return v;
}

namespace {

struct AccountActorState {
  AccountState account;
  AccountActorOptions opts;
  static inline const char* name = "account";
};

using self_ptr = account_actor::stateful_pointer<AccountActorState>;

void push_view(self_ptr self) {
  if (self->state.opts.listener)
    caf::anon_send(self->state.opts.listener, view_atom::value,
                   without_ledger(self->state.account), caf::actor_cast<account_actor>(self));
}

// Applies `events` (already validated) and persists them; `done(error)` runs after commit.
template <class Done>
void persist(self_ptr self, EventBatch events, Done done) {
  for (auto& e : events) apply(self->state.account, e);
  push_view(self);
  self->request(self->state.opts.journal, caf::infinite, append_atom::value, std::move(events))
      .then([done](const AppendResult& r) mutable { done(r.error, r.last_seq); },
            [done](const caf::error& err) mutable { done(caf::to_string(err), 0); });
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
    if (!err.empty()) spdlog::error("journal: could not record expired reservations: {}", err);
  });
}

account_actor::behavior_type account_behavior(self_ptr self, AccountState initial,
                                              AccountActorOptions opts) {
  self->state.account = std::move(initial);
  self->state.opts = std::move(opts);
  push_view(self);
  self->delayed_send(self, std::chrono::milliseconds(self->state.opts.tick_interval_ms),
                     tick_atom::value);
  return {
      [=](reserve_atom, const ReserveCommand& cmd) -> caf::result<ReserveReply> {
        const TimeMs now = self->state.opts.clock();
        ReservationCreated created{new_reservation_id(), cmd.model, cmd.estimate, now + cmd.ttl_ms};
        const auto check = validate(self->state.account, created, now);
        if (check.verdict != Verdict::accept) return ReserveReply{"", check.reason, ""};
        auto rp = self->make_response_promise<ReserveReply>();
        const std::string id = created.id;
        persist(self, {Event{0, now, self->state.account.id, std::move(created)}},
                [self, rp, id](const std::string& err, std::uint64_t) mutable {
                  if (err.empty() || self->state.opts.allow_unpersisted) {
                    if (!err.empty()) spdlog::warn("journal failed, admitting anyway (on_error: allow): {}", err);
                    rp.deliver(ReserveReply{id, "", ""});
                    return;
                  }
                  // Not durable: undo in memory so the state matches the log again.
                  apply(self->state.account,
                        Event{0, self->state.opts.clock(), self->state.account.id, ReservationReleased{id, "journal error"}});
                  --self->state.account.counters.released;
                  --self->state.account.counters.created;
                  push_view(self);
                  rp.deliver(ReserveReply{"", "", "event log unavailable: " + err});
                });
        return rp;
      },
      [=](propose_atom, EventPayload& payload) -> caf::result<CommandReply> {
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
      },
      [=](state_atom) -> AccountState { return self->state.account; },
      [=](tick_atom) {
        expire_due(self);
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
