// messages/proxy_backend.hpp — the seam between the HTTP proxy and the quota/routing core.
//
// The proxy (http/proxy_routes) knows HTTP, upstreams and streams; it knows nothing of
// accounts, windows or the event log. Everything it needs from the core goes through this
// small abstract interface, which the daemon implements on top of the router and account
// actors (and tests implement with a fixed account list). No CAF, no httplib here.
//
// Contract (every call may come from many HTTP worker threads at once; implementations must
// be thread-safe and may block until the core answered):
//   route_and_reserve  once per attempt; a granted reservation must later be resolved by
//                      exactly one commit() or release() with the same ids.
//   commit             the call was served; `usage` is what the upstream reported, or an
//                      estimate (estimated = true) when no usage arrived.
//   release            nothing (billable) was consumed: failover, upstream error, client error.
//   report_outcome     after every upstream response or failure (also on success), with the
//                      rate-limit signals parsed from it. Feeds cooldowns and QuotaObserved.
//   models             union of the models the accounts serve, for GET /v1/models.
//   account_target     one account's upstream, no reservation (Responses {id} routes).
#pragma once

#include "messages/dialect.hpp"
#include "messages/event.hpp"
#include "messages/rate_limit_signals.hpp"
#include "messages/upstream_outcome.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

struct RouteAsk {
  std::string model;                          // as the client asked
  std::string endpoint;                       // "/chat/completions" | "/messages" | "/responses" | ":generateContent" ...
  Dialect dialect = Dialect::chat;            // only accounts serving it are considered
  std::string client_key_id;                  // fingerprint of the client key ("" when open); never the key
  Usage estimate;                             // 1 request, prompt bytes / 4, max_tokens (or default)
  std::vector<std::string> exclude_accounts;  // accounts that already failed this request
  int attempt = 1;                            // 1-based
  std::string request_id;                     // x-request-id (http/request_id.hpp); goes into ReservationCreated
  bool reserve = true;                        // false: route only (count_tokens), grant has no reservation
  std::string pin_account;                    // only this account (previous_response_id), "" = router picks
};

struct RouteGrant {
  bool ok = false;
  // When ok:
  std::string account_id;
  std::string reservation_id;
  std::string model_upstream;   // value for the body's "model": fallback model, `<prefix>/<model>` for CLIProxyAPI
  std::string base_url;         // OpenAI-style base incl. version path, e.g. http://127.0.0.1:8317/v1
                                // (a base with no path at all gets /v1 appended)
  std::string provider;         // openai | anthropic | gemini | cliproxy (decides the auth header)
  std::string api_key;          // upstream credential; NEVER logged or echoed
  // When !ok (no account can serve):
  int http_status = 429;        // 429 quota exhausted, 503 no account configured for the model, 400 ...
  std::string error_code;       // e.g. quota_exhausted, model_not_found, journal_unavailable
  std::string error_message;
  std::int64_t retry_after_s = 0;  // seconds to the earliest known reset (429), 0 = unknown
};


struct UpstreamOutcome {
  int http_status = 0;          // 0 when no response arrived
  OutcomeKind kind = OutcomeKind::success;
  std::int64_t latency_ms = 0;  // request start to response headers (or failure)
  RateLimitSignals signals;     // windows -> QuotaObserved{headers}; cooldown_until -> CooldownStarted
  std::string detail;           // short human text, no secrets (e.g. "connect timeout 5000ms")
};

// The outcome kind of an HTTP status with its parsed signals.
OutcomeKind classify_status(int http_status, const RateLimitSignals& signals);

class ProxyBackend {
 public:
  virtual ~ProxyBackend() = default;
  virtual RouteGrant route_and_reserve(const RouteAsk& ask) = 0;
  virtual void commit(const std::string& account_id, const std::string& reservation_id,
                      const Usage& usage, bool estimated) = 0;
  virtual void release(const std::string& account_id, const std::string& reservation_id,
                       const std::string& reason) = 0;
  virtual void report_outcome(const std::string& account_id, const UpstreamOutcome& outcome) = 0;
  virtual std::vector<std::string> models() = 0;
  // Where account `account_id` is served (base_url, provider, credential), without routing or
  // reserving: for calls that must reach the account that holds a resource (GET/DELETE
  // /v1/responses/{id}). !ok with http_status 404 when the account is unknown or disabled.
  virtual RouteGrant account_target(const std::string& account_id) {
    RouteGrant g;
    g.http_status = 404;
    g.error_code = "not_found";
    g.error_message = "unknown account " + account_id;
    return g;
  }
};

}  // namespace qg
