// messages/usage_range.hpp — the range a usage number may take (issue 15).
//
// The most one request may count in any Usage field (requests, input or output tokens): far
// above any model's context, far below where sums of a window's events could overflow.
// Usage outside [0, kMaxUsagePerRequest] is refused by validate (an event that carries it is
// never written), ignored at the proxy's edge (the estimate is committed instead) and
// reported by `replay --verify` (kind usage_range).
#pragma once

#include "messages/event.hpp"

namespace qg {

inline constexpr std::int64_t kMaxUsagePerRequest = 1'000'000'000;

inline bool usage_in_range(const Usage& u) {
  for (std::int64_t v : {u.requests, u.input_tokens, u.output_tokens})
    if (v < 0 || v > kMaxUsagePerRequest) return false;
  return true;
}

}  // namespace qg
