// telegram/backoff.cpp — exponential backoff with jitter.
#include "telegram/backoff.hpp"

#include <algorithm>

namespace qg::telegram {

TimeMs backoff_delay(int attempt, double r, BackoffConfig cfg) {
  attempt = std::clamp(attempt, 0, 30);
  TimeMs cap = cfg.base_ms;
  for (int i = 0; i < attempt && cap < cfg.max_ms; ++i) cap *= 2;
  cap = std::min(cap, cfg.max_ms);
  r = std::clamp(r, 0.0, 1.0);
  return cap / 2 + static_cast<TimeMs>(static_cast<double>(cap - cap / 2) * r);
}

}  // namespace qg::telegram
