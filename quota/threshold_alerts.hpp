// quota/threshold_alerts.hpp — which ThresholdCrossed events an account's windows call for.
//
// Each window remembers the last level it alerted at (QuotaWindow::alert_level, folded from
// ThresholdCrossed). Levels go "" < warning < critical:
//   - upward: crossing `warning` or `critical` (percent used incl. reservations) emits that level
//     once; a jump straight past critical emits only "critical";
//   - downward: once the window is below `warning - hysteresis` it emits "recovered", which
//     re-arms both alerts. (A window reset re-arms them too: roll-over clears alert_level.)
// Critical does not re-alert on small dips and rises around it, so alerts cannot flap.
// Windows are judged per (metric, window length) — the key ThresholdCrossed carries — by the
// fullest window with that key.
#pragma once

#include "quota/account_state.hpp"
#include "quota/router_settings.hpp"

#include <vector>

namespace qg {

// The events to emit for `s` (windows already rolled to the present); empty when none.
std::vector<ThresholdCrossed> threshold_crossings(const AccountState& s, const RouteThresholds& t,
                                                  double hysteresis);

}  // namespace qg
