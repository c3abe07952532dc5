// actors/router/threshold_alerts.cpp — threshold crossing detection per window.
#include "actors/router/threshold_alerts.hpp"

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
  std::vector<ThresholdCrossed> out;
  for (const auto& w : s.windows) {
    if (w.limit <= 0) continue;
    const double p = w.used_percent();
    const int rank = level_rank(w.alert_level);
    const char* level = nullptr;
    if (p >= t.critical && rank < 2) level = "critical";
    else if (p >= t.warning && rank < 1) level = "warning";
    else if (rank > 0 && p < t.warning - hysteresis) level = "recovered";
    if (level) out.push_back(ThresholdCrossed{level, w.metric, w.window_s, p});
  }
  return out;
}

}  // namespace qg
