// quota/threshold_alerts.cpp — threshold crossing detection per window.
#include "quota/threshold_alerts.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace qg {

namespace {
int level_rank(const std::string& level) {
  if (level == "critical") return 2;
  if (level == "warning") return 1;
  return 0;
}
}  // namespace

std::vector<ThresholdCrossed> threshold_crossings(const AccountState& s, const RouteThresholds& t,
                                                  double hysteresis) {
  // ThresholdCrossed names a window by (metric, window_s) and apply() sets the level on every
  // window with that key (a config and an observed window may share it), so judge each key
  // once, by its fullest window.
  std::map<std::pair<Metric, std::int64_t>, std::pair<double, int>> keys;  // -> (percent, level)
  for (const auto& w : s.windows) {
    if (w.limit <= 0) continue;
    auto [it, fresh] = keys.try_emplace({w.metric, w.window_s}, w.used_percent(), level_rank(w.alert_level));
    if (!fresh) {
      it->second.first = std::max(it->second.first, w.used_percent());
      it->second.second = std::max(it->second.second, level_rank(w.alert_level));
    }
  }
  std::vector<ThresholdCrossed> out;
  for (const auto& [key, value] : keys) {
    const auto [p, rank] = value;
    const char* level = nullptr;
    if (p >= t.critical && rank < 2) level = "critical";
    else if (p >= t.warning && rank < 1) level = "warning";
    else if (rank > 0 && p < t.warning - hysteresis) level = "recovered";
    if (level) out.push_back(ThresholdCrossed{level, key.first, key.second, p});
  }
  return out;
}

}  // namespace qg
