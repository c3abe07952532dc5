// http/advisory_routes.hpp — the advisory API of the earlier Go QuotaGuard, kept compatible
// for clients that choose the account themselves and report back (INTERFACE §4).
//
// POST /router/select, POST /router/feedback, GET /router/distribution, GET /quotas,
// GET /quotas/{id}, POST /ingest, POST /reservations, GET /reservations/{id},
// POST /reservations/{id}/release, POST /reservations/{id}/cancel. Request and response
// shapes follow go-quotaguard §1; each route maps onto Operations verbs (the same router and
// ledger the proxy uses). Percent-based fields are mapped onto windows by
// http/advisory_mapping.hpp. Deliberate differences are listed in docs/COMPAT.md.
// Auth: the admin token, as `Authorization: Bearer` or (as the Go clients send it) `X-API-Key`.
#pragma once

#include "messages/operations.hpp"

#include <functional>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace qg {

class AdminToken;  // http/client_auth.hpp

struct AdvisoryRouteOptions {
  std::shared_ptr<const AdminToken> admin_token;  // null or "" = open (rotates on reload)
  std::function<TimeMs()> now;       // clock for collected_at; default: system clock
  std::size_t max_body_bytes = 1u << 20;  // server.max_admin_body_bytes
};

void register_advisory_routes(httplib::Server& server, Operations& ops,
                              const AdvisoryRouteOptions& options);

}  // namespace qg
