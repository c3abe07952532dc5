// quota/burn_rate.hpp — how fast an account burns each metric: an EWMA of its commits.
//
// Each committed usage adds its units at the event's time to an exponentially decayed sum
// `level` (half-life kBurnHalfLifeMs, the same for every metric). The rate at `now` is
//
//   rate = lambda * level(now) / (1 - exp(-lambda * max(now - since, half_life)))
//
// with lambda = ln 2 / half_life and `since` the first commit: a constant rate r from `since`
// on reads exactly r once one half-life has passed (the denominator corrects for the short
// history), a burst followed by silence halves every half-life. Pure and deterministic: the
// account's `apply` calls `add` with the event time, so live state, replay and `simulate`
// compute the same numbers. Encoded in snapshots (persistence/state_codec).
#pragma once

#include "messages/event.hpp"

#include <cstdint>

namespace qg {

inline constexpr TimeMs kBurnHalfLifeMs = 15 * 60'000;

struct BurnRate {
  double level = 0;   // decayed units as of `at`
  TimeMs at = 0;      // last add
  TimeMs since = 0;   // first add (0 = never)
  bool operator==(const BurnRate&) const = default;

  // Adds `units` at `ts` (a `ts` before `at` counts as at `at`: events arrive in seq order).
  void add(double units, TimeMs ts);
  // Units per millisecond at `now` (0 with no commits).
  double per_ms(TimeMs now) const;
};

// The three metrics a commit carries; `tokens` is input + output.
struct BurnRates {
  BurnRate requests, input_tokens, output_tokens;
  bool operator==(const BurnRates&) const = default;

  void add(const Usage& u, TimeMs ts);
  double per_ms(Metric m, TimeMs now) const;
};

}  // namespace qg
