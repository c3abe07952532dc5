// messages/token_estimate.hpp — the one bytes -> tokens estimate.
//
// Used where no tokenizer count exists: a request's prompt before it is sent (the
// reservation's input estimate) and a response's text when the upstream reported no usage
// (the estimated commit). About four bytes of English or code per token, rounded up.
#pragma once

#include "messages/event.hpp"
#include "messages/usage_range.hpp"

#include <algorithm>
#include <cstdint>

namespace qg {

inline constexpr std::int64_t kBytesPerToken = 4;

constexpr std::int64_t tokens_from_bytes(std::int64_t bytes) {
  return bytes <= 0 ? 0 : bytes / kBytesPerToken + (bytes % kBytesPerToken != 0);  // no overflow near INT64_MAX
}

// A request's reservation estimate: 1 request, its prompt bytes as tokens, `max_tokens` out,
// each clamped to the usage range (messages/usage_range.hpp).
inline Usage estimate_usage(std::int64_t prompt_bytes, std::int64_t max_tokens) {
  Usage u;
  u.requests = 1;
  u.input_tokens = std::min(tokens_from_bytes(prompt_bytes), kMaxUsagePerRequest);
  u.output_tokens = std::clamp<std::int64_t>(max_tokens, 0, kMaxUsagePerRequest);
  return u;
}

}  // namespace qg
