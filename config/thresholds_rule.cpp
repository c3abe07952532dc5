// config/thresholds_rule.cpp — see thresholds_rule.hpp.
#include "config/thresholds_rule.hpp"

#include <cmath>
#include <cstdio>

namespace qg {

std::string rule_number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<ThresholdsProblem> check_thresholds(double warning, double switch_at, double critical) {
  const std::pair<const char*, double> levels[] = {
      {"warning", warning}, {"switch", switch_at}, {"critical", critical}};
  for (const auto& [field, v] : levels)
    if (!std::isfinite(v) || v <= 0 || v > 100)
      return ThresholdsProblem{field, "must be a percent in (0, 100], got " + rule_number_text(v)};
  if (warning > switch_at)
    return ThresholdsProblem{"warning", "must be <= switch (" + rule_number_text(switch_at) + ")"};
  if (switch_at > critical)
    return ThresholdsProblem{"switch", "must be <= critical (" + rule_number_text(critical) + ")"};
  return std::nullopt;
}

}  // namespace qg
