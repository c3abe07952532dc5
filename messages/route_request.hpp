// messages/route_request.hpp — a request to route (and usually reserve): one type from the proxy
// to the router's pure `decide`.
//
// The proxy (http/proxy_routes) and the advisory verbs build it, `ProxyBackend::route_and_reserve`
// and `Core::route` pass it to the router actor unchanged (route_atom), and `decide`
// (actors/router/route_decision.hpp) reads the routing fields. The answer is a RouteGrant
// (messages/route_grant.hpp).
#pragma once

#include "messages/dialect.hpp"
#include "messages/event.hpp"

#include <string>
#include <vector>

namespace qg {

struct RouteRequest {
  // What decide() reads:
  std::string model;                 // as the client asked
  std::string client_key;            // fingerprint/name of the client key ("" when open); never the key
  Usage estimate{1, 0, 0};           // what the reservation will hold (1 request, prompt bytes / 4, max_tokens)
  std::vector<std::string> exclude;  // accounts not to use (already failed for this request)
  Dialect dialect = Dialect::chat;   // only accounts serving it are considered (also in ReservationCreated)
  // How to reserve:
  std::string account;               // pin: only this account (previous_response_id, advisory reserve), "" = router picks
  bool reserve = true;               // false: decide only (count_tokens, advisory select), no reservation
  TimeMs ttl_ms = 600'000;           // the reservation's lifetime (CoreProxyBackend: reservations.ttl)
  std::string request_id;            // x-request-id (http/request_id.hpp), "" for advisory calls
  // For the proxy's own bookkeeping (the router ignores them):
  std::string endpoint;              // "/chat/completions" | "/messages" | "/responses" | ":generateContent" ...
  int attempt = 1;                   // 1-based
};

}  // namespace qg
