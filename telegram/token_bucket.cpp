// telegram/token_bucket.cpp — continuous-refill token buckets.
#include "telegram/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace qg::telegram {

void TokenBucket::refill(TimeMs now) {
  if (now > last_) {
    tokens_ = std::min(cfg_.capacity, tokens_ + static_cast<double>(now - last_) / 1000.0 * cfg_.per_second);
    last_ = now;
  }
}

bool TokenBucket::try_take(TimeMs now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

TimeMs TokenBucket::wait_ms(TimeMs now) {
  refill(now);
  if (tokens_ >= 1.0) return 0;
  if (cfg_.per_second <= 0) return INT64_MAX;
  return static_cast<TimeMs>(std::ceil((1.0 - tokens_) / cfg_.per_second * 1000.0));
}

bool KeyedRateLimiter::try_take(std::int64_t key, TimeMs now) {
  prune(now);
  auto it = buckets_.try_emplace(key, cfg_, now).first;
  last_use_[key] = now;
  return it->second.try_take(now);
}

TimeMs KeyedRateLimiter::wait_ms(std::int64_t key, TimeMs now) {
  auto it = buckets_.find(key);
  return it == buckets_.end() ? 0 : it->second.wait_ms(now);
}

void KeyedRateLimiter::prune(TimeMs now) {
  // A bucket idle long enough to be full again carries no information: forget it.
  if (buckets_.size() < 1024 || cfg_.per_second <= 0) return;
  const TimeMs full_after = static_cast<TimeMs>(cfg_.capacity / cfg_.per_second * 1000.0);
  for (auto it = last_use_.begin(); it != last_use_.end();) {
    if (now - it->second > full_after) {
      buckets_.erase(it->first);
      it = last_use_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace qg::telegram
