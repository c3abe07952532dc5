// messages/activity_view.hpp — what GET /api/v1/activity answers, as types (no behaviour).
//
// The view Operations::activity returns: per-account buckets of committed usage over the last
// hours and the latest route decisions, switches and alerts. Built by the pure fold in
// actors/control/activity_history.hpp, rendered to JSON by http/activity_json.hpp.
// Depends on the standard library and messages/event.hpp only.
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qg {

// Bounds of a view: buckets are multiples of kActivityStepMs up to kActivityMaxBucketMs, and a
// view spans at most kActivityHorizonMs (the history behind it keeps 5-minute buckets).
inline constexpr TimeMs kActivityStepMs = 5 * 60'000;
inline constexpr TimeMs kActivityMaxBucketMs = 3'600'000;
inline constexpr TimeMs kActivityHorizonMs = 24 * 3'600'000;

struct ActivityBucket {
  TimeMs start = 0;                 // bucket start, aligned to a multiple of its length
  std::int64_t requests = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t released = 0;
  bool operator==(const ActivityBucket&) const = default;
};

// One line of a feed. `from`/`to` are set for RouteSwitched; `model` for decisions and
// switches (the route key's model); `reason` is the switch reason, cooldown reason, threshold
// level, "drain"/"resume" or the setting key; `detail` a short human line.
struct ActivityEntry {
  std::uint64_t seq = 0;
  TimeMs ts = 0;
  std::string type;                 // event type name
  std::string account;
  std::string model;
  std::string from;
  std::string to;
  std::string reason;
  std::string detail;
  bool operator==(const ActivityEntry&) const = default;
};

struct ActivityView {
  TimeMs from = 0;                  // first bucket start
  TimeMs to = 0;                    // end of the current bucket
  TimeMs bucket_ms = 0;
  std::map<std::string, std::vector<ActivityBucket>> accounts;  // non-empty buckets, ascending
  std::vector<ActivityEntry> decisions;   // newest first
  std::vector<ActivityEntry> switches;    // newest first
  std::vector<ActivityEntry> alerts;      // newest first
};

}  // namespace qg
