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
//                      exactly one commit() or release() with the same ids. The grant comes
//                      back only once its ReservationCreated is durable: the one durable wait
//                      of a request.
//   commit             the call was served; `usage` is what the upstream reported, or an
//                      estimate (estimated = true) when no usage arrived.
//   release            nothing (billable) was consumed: failover, upstream error, client error.
//                      commit and release hand the resolution over and return without waiting
//                      for the log: the account applies it before any later command, the group
//                      commit makes it durable after the client got its answer (a crash in
//                      between leaves the reservation open; it expires with its estimate at
//                      the next start: docs/EVENT_LOG.md section 3).
//   report_outcome     after every upstream response or failure (also on success), with the
//                      rate-limit signals parsed from it. Feeds cooldowns and QuotaObserved.
//   commit_reporting   commit, then report_outcome of the same account, in one call: the core
//                      hands both to the account actor as one message (issue 17, tenth pass).
//   models             union of the models the accounts serve, for GET /v1/models.
//   account_target     one account's upstream, no reservation (Responses {id} routes).
#pragma once

#include "messages/event.hpp"
#include "messages/rate_limit_signals.hpp"
#include "messages/route_grant.hpp"
#include "messages/route_request.hpp"
#include "messages/upstream_outcome.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

// The outcome kind of an HTTP status with its parsed signals.
OutcomeKind classify_status(int http_status, const RateLimitSignals& signals);

class ProxyBackend {
 public:
  virtual ~ProxyBackend() = default;
  virtual RouteGrant route_and_reserve(const RouteRequest& request) = 0;
  virtual void commit(const std::string& account_id, const std::string& reservation_id,
                      const Usage& usage, bool estimated) = 0;
  virtual void release(const std::string& account_id, const std::string& reservation_id,
                       const std::string& reason) = 0;
  virtual void report_outcome(const std::string& account_id, const UpstreamOutcome& outcome) = 0;
  virtual void commit_reporting(const std::string& account_id, const std::string& reservation_id,
                                const Usage& usage, bool estimated, const UpstreamOutcome& outcome) {
    commit(account_id, reservation_id, usage, estimated);
    report_outcome(account_id, outcome);
  }
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
