// config/thresholds_rule.hpp — the one rule for router thresholds (warning, switch, critical).
//
// Each is a usage percent in (0, 100] and warning <= switch <= critical (equal values are
// allowed: `90 90 95` means "warn when switching"). config.yaml, /qg_thresholds, the admin
// settings API and everything an export writes are checked by this one function, so whatever
// is accepted at runtime loads back from an export. Depends on the standard library only.
#pragma once

#include <optional>
#include <string>

namespace qg {

struct ThresholdsProblem {
  std::string field;    // "warning" | "switch" | "critical"
  std::string message;  // "must be <= critical (95)", "must be a percent in (0, 100], got 120"
};

// A number as the settings rules' messages show it ("%g": 95, 90.5, 1e+06).
std::string rule_number_text(double v);

// The first problem with these thresholds, or nullopt when they are valid.
std::optional<ThresholdsProblem> check_thresholds(double warning, double switch_at, double critical);

}  // namespace qg
