// messages/upstream_outcome.hpp — how an upstream call ended, as the proxy reports it.
//
// One vocabulary for the HTTP proxy (messages/proxy_backend.hpp, which classifies responses) and
// the circuit breaker (quota/circuit_breaker.hpp, which reacts to them).
#pragma once

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
};
const char* to_string(OutcomeKind k);

}  // namespace qg
