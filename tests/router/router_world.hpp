// tests/router/router_world.hpp — a simulated deployment for router tests (no actors, no clock).
//
// Holds the accounts' states, the router state, the view, the runtime and a breaker per
// account, and moves them only through events applied with qg::apply — exactly what the
// router and account actors do live. `route` runs the real decide(), reserves on the first
// target that admits (admission_refusal, as the account actor does), persists the switch, and
// returns what happened. Time is whatever the test passes.
#pragma once

#include "quota/account_state.hpp"
#include "quota/account_summary.hpp"
#include "quota/circuit_breaker.hpp"
#include "actors/router/route_decision.hpp"
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg::test {

inline constexpr TimeMs kDayMs = 86'400'000;
inline constexpr TimeMs kT0 = 1'796'083'200'000;  // 2026-12-01T00:00:00Z, a day boundary

// An upstream outcome as the breaker reads it: kind, when a 429 says to retry (0 = no hint), status.
inline UpstreamOutcome outcome_of(OutcomeKind kind, TimeMs retry_at, int status) {
  UpstreamOutcome o;
  o.kind = kind;
  o.http_status = status;
  o.signals.cooldown_until = retry_at;
  return o;
}

struct Routed {
  RouteDecision decision;
  std::string account;      // "" when nothing admitted the request
  std::string reservation;  // id of the reservation created
};

struct RouterWorld {
  RouterSettings settings;
  std::map<std::string, AccountState> accounts;
  std::map<std::string, BreakerState> breakers;
  RouterState router;
  RouterRuntime runtime;
  RouterView view;
  std::vector<RouteSwitched> switches;     // every RouteSwitched persisted, in order
  std::map<std::string, std::int64_t> admitted;  // account -> requests admitted
  std::int64_t next_reservation = 1;

  // Registers an account with the given priority, models and daily request limit (0 = none).
  void add_account(const std::string& id, std::int64_t priority, std::int64_t daily_requests,
                   std::vector<std::string> models, TimeMs now);
  // Applies an event about `account` ("" = router) and refreshes the account's summary.
  void apply_event(const std::string& account, EventPayload payload, TimeMs now);
  void refresh(const std::string& account, TimeMs now);

  Routed route(const std::string& model, TimeMs now, Usage estimate = Usage{1, 0, 0});
  // Commits the reservation's estimate as real usage.
  void commit(const Routed& r, TimeMs now);
  // Reports an upstream outcome for `account`, persisting the breaker's event if any.
  void outcome(const std::string& account, const UpstreamOutcome& o, TimeMs now);
  // Sets an observed window (replaces used) on `account`.
  void observe(const std::string& account, Metric m, std::int64_t window_s, std::int64_t limit,
               std::int64_t used, TimeMs reset_at, TimeMs now);

  std::int64_t used(const std::string& account, Metric m = Metric::requests) const;
  double used_percent(const std::string& account) const;
};

}  // namespace qg::test
