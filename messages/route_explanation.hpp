// messages/route_explanation.hpp — the router's explanation of the decision it would take now
// (GET /api/v1/route, `quotaguard route`, docs/ROUTING.md §7 "Explain"), as types.
//
// actors/router/route_explain.hpp `explain` builds it from a decision; http/route_explanation_json
// renders it as the API's JSON (and reads that JSON back for the CLI, which shows a running
// daemon's answer and its own offline decision alike); messages/route_explanation_text prints it
// for people. Scores are rounded to 2 decimals and percents to 1 when it is built, so every
// rendering shows the same numbers. No behaviour.
#pragma once

#include "messages/event.hpp"
#include "messages/route_policy.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qg {

// One quota window of a candidate, at the time of the explanation.
struct ExplainedWindow {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;                  // 0 = unknown length
  std::int64_t limit = 0;                     // 0 = unknown
  std::int64_t used = 0;
  std::int64_t reserved = 0;
  std::optional<std::int64_t> remaining;      // nullopt when the limit is unknown
  double used_percent = 0;                    // (used + reserved) / limit, 1 decimal
  TimeMs reset_at = 0;                        // 0 = unknown
  QuotaSource source = QuotaSource::config;
  double rate_per_hour = 0;                   // the burn rate, 2 decimals
  std::optional<double> projected_at_reset;   // `paced`: used + reserved + rate x time to reset
  bool operator==(const ExplainedWindow&) const = default;
};

struct ExplainedCandidate {
  std::string account;
  std::string model;                // the model this account would serve
  double score = 0;                 // 2 decimals
  std::int64_t priority = 0;
  double used_percent_after = 0;    // 1 decimal
  std::string zone;                 // normal | switch | critical
  bool probe = false;               // half-open breaker: this request would be the probe
  std::vector<ExplainedWindow> windows;
  bool operator==(const ExplainedCandidate&) const = default;
};

struct ExplainedExclusion {
  std::string account;
  std::string model;
  std::string reason;               // a code of actors/router/route_scoring.hpp `reason::`
  std::string detail;
  bool operator==(const ExplainedExclusion&) const = default;
};

struct ExplainedSticky {
  std::string account;
  TimeMs since = 0;                 // 0 = unknown
  bool operator==(const ExplainedSticky&) const = default;
};

struct ExplainedSwitch {
  std::string from;                 // "" = no sticky choice before
  std::string to;
  std::string reason;
  std::map<std::string, double> scores;  // 2 decimals
  bool operator==(const ExplainedSwitch&) const = default;
};

struct ExplainedRefusal {
  std::string kind;                 // quota_exhausted | no_account_for_model
  std::string message;
  TimeMs retry_at = 0;              // earliest known reset, 0 = unknown
  std::int64_t retry_after_s = 0;   // what Retry-After would say
  bool operator==(const ExplainedRefusal&) const = default;
};

struct ExplainedThresholds {
  double warning = 0;
  double switch_at = 0;
  double critical = 0;
  double hysteresis = 0;
  bool operator==(const ExplainedThresholds&) const = default;
};

struct RouteExplanation {
  std::string model;                          // as asked
  std::optional<std::string> model_used;      // nullopt when no account was chosen
  bool fallback = false;
  std::string route_key;
  RoutePolicy policy = RoutePolicy::balanced;
  bool drain = false;                         // every account was past critical
  TimeMs at = 0;
  std::optional<std::string> chosen;          // nullopt when nothing qualifies
  std::vector<std::string> targets;
  std::optional<ExplainedSticky> sticky;
  std::optional<ExplainedSwitch> switched;
  ExplainedThresholds thresholds;
  std::vector<ExplainedCandidate> candidates; // best first
  std::vector<ExplainedExclusion> excluded;
  std::optional<ExplainedRefusal> error;
  bool operator==(const RouteExplanation&) const = default;
};

}  // namespace qg
