// messages/rate_limit_signals.hpp — what one upstream response said about its account's quota.
//
// Filled by http/ratelimit_parsers (headers and 429/403 bodies), carried to the core in
// UpstreamOutcome (messages/proxy_backend.hpp), turned into QuotaObserved / CooldownStarted
// events by the account actor.
#pragma once

#include "messages/event.hpp"

#include <string>
#include <vector>

namespace qg {

struct RateLimitSignals {
  std::vector<ObservedWindow> windows;  // for a QuotaObserved{source: headers} event
  TimeMs cooldown_until = 0;            // 0 = no hint; else do not use the account before it
  std::string cooldown_detail;          // human text for CooldownStarted.detail (no secrets)
  bool quota_exhausted = false;         // the response says this account's quota is used up
  bool empty() const { return windows.empty() && cooldown_until == 0 && !quota_exhausted; }
};

}  // namespace qg
