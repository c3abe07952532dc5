// telegram/token_bucket.hpp — token-bucket rate limiting with an injected clock.
//
// `TokenBucket` holds up to `capacity` tokens and refills continuously at `per_second`.
// `KeyedRateLimiter` keeps one bucket per key (a Telegram chat id): the bot's per-chat command
// limit and the alert throttle use it. Time is passed in (ms since epoch), so tests need no
// sleeps. Pure, not thread-safe (the owner serialises calls).
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <map>

namespace qg::telegram {

struct BucketConfig {
  double capacity = 5;             // burst
  double per_second = 0.5;         // sustained rate (one command per 2 s)
};

class TokenBucket {
 public:
  TokenBucket(BucketConfig cfg, TimeMs now) : cfg_(cfg), tokens_(cfg.capacity), last_(now) {}

  // Takes one token if available.
  bool try_take(TimeMs now);
  // Milliseconds until one token is available (0 when one is).
  TimeMs wait_ms(TimeMs now);

 private:
  void refill(TimeMs now);
  BucketConfig cfg_;
  double tokens_;
  TimeMs last_;
};

class KeyedRateLimiter {
 public:
  explicit KeyedRateLimiter(BucketConfig cfg) : cfg_(cfg) {}

  bool try_take(std::int64_t key, TimeMs now);
  TimeMs wait_ms(std::int64_t key, TimeMs now);

 private:
  void prune(TimeMs now);
  BucketConfig cfg_;
  std::map<std::int64_t, TokenBucket> buckets_;
  std::map<std::int64_t, TimeMs> last_use_;
};

}  // namespace qg::telegram
