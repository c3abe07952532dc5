// quota/forecast.hpp — when each quota window runs out at today's pace (pure).
//
// Per account and window (with a known limit), from the account's burn rate of the window's
// metric (quota/burn_rate.hpp, EWMA with a 15-minute half-life) and `load` = used + reserved:
//
//   exhausts_at   = now + (limit - load) / rate             (rate > 0; now when load >= limit)
//   verdict       = runs_out      exhausts_at before reset_at (or reset unknown)
//                   resets_first  reset_at comes first
//                   idle          rate 0 and load below limit
//   short_by      = reset_at - exhausts_at                  (runs_out with a known reset)
//   projected     = min(limit, load + rate * (reset_at - now))   (reset known)
//   unused        = limit - projected                       ("use it or lose it")
//   critical_at   = when load passes critical% of limit, if before reset_at (now if already)
//
// Per account: critical_at is its soonest window's, and recovers_at that window's reset; an
// account that cannot be routed to (disabled, draining, cooldown) is past critical now and
// recovers when its cooldown ends (0 = unknown). Per model pool (the model and its fallback
// chain; every account serving one of them): dry_at = the last member's critical_at, when every
// member passes critical before the first of them recovers; dry_until = that first recovery.
// Only the current window is projected: after a reset the pace starts again from zero.
// No clock: `now` is an argument. Windows are rolled to `now` first.
#pragma once

#include "messages/forecast_view.hpp"
#include "quota/account_state.hpp"
#include "quota/router_settings.hpp"

#include <map>
#include <string>

namespace qg {

// One window of an account whose metric burns at `rate_per_ms` (units per ms).
WindowForecast forecast_window(const QuotaWindow& w, double rate_per_ms, TimeMs now,
                               double critical_percent);

// One account (its windows rolled to `now`).
AccountForecast forecast_account(const AccountState& s, TimeMs now, double critical_percent);

// The model pools: every model named by a fallback chain (as key) or by an account's model
// list, each with its chain and members (enabled, not removed accounts serving a chain model).
std::vector<PoolForecast> forecast_pools(const std::map<std::string, AccountState>& states,
                                         const std::vector<AccountForecast>& accounts,
                                         const RouterSettings& settings);

// Everything: accounts sorted by id, pools sorted by model.
ForecastView forecast(const std::map<std::string, AccountState>& states,
                      const RouterSettings& settings, TimeMs now);

}  // namespace qg
