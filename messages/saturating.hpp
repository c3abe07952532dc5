// messages/saturating.hpp — int64 arithmetic that clamps instead of wrapping.
//
// Every quota estimate, window count and usage counter adds numbers that partly come from
// outside (a client's max_tokens, an upstream's usage report, an admin's ingest). Signed
// overflow is undefined behaviour and, in practice, wraps a full window to negative: these
// helpers clamp to [INT64_MIN, INT64_MAX] instead, so an absurd number can only ever make a
// window look fuller, never emptier.
#pragma once

#include <cstdint>
#include <limits>

namespace qg {

constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return out;
}

constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out))
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return out;
}

constexpr std::int64_t sat_mul(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out))
    return (a < 0) == (b < 0) ? std::numeric_limits<std::int64_t>::max()
                              : std::numeric_limits<std::int64_t>::min();
  return out;
}

}  // namespace qg
