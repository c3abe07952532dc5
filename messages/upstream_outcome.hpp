// messages/upstream_outcome.hpp — how an upstream call ended, as the proxy reports it.
//
// One vocabulary for the HTTP proxy (messages/proxy_backend.hpp, which classifies responses),
// the advisory feedback verb (messages/operations.hpp) and the circuit breaker
// (quota/circuit_breaker.hpp, which reacts to them through the account actor's outcome_atom).
#pragma once

#include "messages/rate_limit_signals.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace qg {

enum class OutcomeKind {
  success,        // 2xx
  rate_limited,   // 429, or 403 insufficient_quota
  server_error,   // 5xx
  timeout,        // connect / first-byte / idle timeout
  connect_error,  // refused, reset, DNS, TLS, broken response
  auth_error,     // 401 / 403 (credential problem of this account)
  client_error,   // other 4xx: the request's fault, not the account's
  cancelled,      // the client went away and the proxy cancelled the upstream call
  local_exhausted,  // this process had no descriptor (or buffer) left to reach the upstream:
                    // says nothing about the account, the client gets 503 + Retry-After
};
const char* to_string(OutcomeKind k);

// The reason a reservation released after a failed upstream call carries in the event log
// (ReservationReleased.reason): "upstream_" + the kind. The proxy writes it; `simulate` reads it
// back to know that the request's next attempt is a retry. One place for both.
std::string upstream_release_reason(OutcomeKind k);
bool is_upstream_release_reason(std::string_view reason);

struct UpstreamOutcome {
  int http_status = 0;          // 0 when no response arrived
  OutcomeKind kind = OutcomeKind::success;
  std::int64_t latency_ms = 0;  // request start to response headers (or failure)
  RateLimitSignals signals;     // windows -> QuotaObserved{headers}; cooldown_until -> CooldownStarted
  std::string detail;           // short human text, no secrets (e.g. "connect timeout 5000ms")
};

}  // namespace qg
