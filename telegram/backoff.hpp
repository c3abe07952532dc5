// telegram/backoff.hpp — retry delays with exponential growth and full jitter.
//
// Network errors talking to Telegram are retried after backoff_delay(attempt, r): the cap
// grows base * 2^attempt up to max, and the delay is drawn uniformly from [cap/2, cap] using
// `r` in [0, 1) supplied by the caller (so tests are deterministic). Pure.
#pragma once

#include "messages/event.hpp"

namespace qg::telegram {

struct BackoffConfig {
  TimeMs base_ms = 1000;
  TimeMs max_ms = 60 * 1000;
};

TimeMs backoff_delay(int attempt, double r, BackoffConfig cfg = {});

}  // namespace qg::telegram
