// tests/router/router_world.cpp — the simulated deployment used by the router tests.
#include "router_world.hpp"

#include <algorithm>

namespace qg::test {

void RouterWorld::add_account(const std::string& id, std::int64_t priority, std::int64_t daily_requests,
                              std::vector<std::string> models, TimeMs now) {
  AccountSpec spec;
  spec.provider = "openai";
  spec.type = "openai";
  spec.priority = priority;
  spec.models = std::move(models);
  spec.origin = "config";
  if (daily_requests > 0) spec.limits.push_back(LimitSpec{Metric::requests, 86'400, daily_requests});
  apply_event(id, AccountRegistered{spec}, now);
}

void RouterWorld::apply_event(const std::string& account, EventPayload payload, TimeMs now) {
  Event e{0, now, account, std::move(payload)};
  if (account.empty()) {
    apply(router, e);
    return;
  }
  apply(accounts[account], e);
  apply(breakers[account], e);
  refresh(account, now);
}

void RouterWorld::refresh(const std::string& account, TimeMs now) {
  view.upsert(summarize(accounts.at(account), now, &breakers[account]));
}

Routed RouterWorld::route(const std::string& model, TimeMs now, Usage estimate) {
  RouteRequest req{model, "", estimate, {}};
  Routed r{decide(view, router, req, settings, now, runtime), "", ""};
  for (const auto& id : r.decision.targets) {
    AccountState& a = accounts.at(id);
    if (!admission_refusal(a, estimate, now).empty()) continue;
    if (!probe_refusal(breakers[id], a, now, settings.breaker).empty()) continue;
    if (half_open(a.cooldown_until, now)) begin_probe(breakers[id], now);
    r.account = id;
    r.reservation = "r" + std::to_string(next_reservation++);
    apply_event(id, ReservationCreated{r.reservation, r.decision.model_used, estimate, now + 600'000}, now);
    if (auto sw = switch_for_admitted(r.decision, id)) {
      switches.push_back(*sw);
      apply_event("", *sw, now);
    }
    note_admitted(runtime, r.decision, id);
    ++admitted[id];
    break;
  }
  return r;
}

void RouterWorld::commit(const Routed& r, TimeMs now) {
  if (r.account.empty()) return;
  const Usage& u = accounts.at(r.account).reservations.at(r.reservation).estimate;
  apply_event(r.account, ReservationCommitted{r.reservation, u, false}, now);
}

void RouterWorld::outcome(const std::string& account, const UpstreamOutcome& o, TimeMs now) {
  if (auto ev = on_outcome(breakers[account], o, now, settings.breaker)) apply_event(account, *ev, now);
  else refresh(account, now);
}

void RouterWorld::observe(const std::string& account, Metric m, std::int64_t window_s, std::int64_t limit,
                          std::int64_t used, TimeMs reset_at, TimeMs now) {
  apply_event(account, QuotaObserved{QuotaSource::headers, {ObservedWindow{m, window_s, limit, used, reset_at}}}, now);
}

std::int64_t RouterWorld::used(const std::string& account, Metric m) const {
  std::int64_t total = 0;
  for (const auto& w : accounts.at(account).windows)
    if (w.metric == m && w.origin == WindowOrigin::config) total = std::max(total, w.used + w.reserved);
  return total;
}

double RouterWorld::used_percent(const std::string& account) const {
  return max_used_percent(accounts.at(account));
}

}  // namespace qg::test
