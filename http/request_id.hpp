// http/request_id.hpp — the x-request-id every response carries.
//
// A client's `x-request-id` is kept when it is 1..128 visible ASCII characters (no spaces,
// quotes or backslashes, so it is safe in a log line and a JSON string); otherwise — absent,
// empty, too long or unsafe — the server makes one: a random UUID v4. The id is set on the
// response before routing (http_server.cpp), so every reply that reached routing has it, 404s
// and refusals included; handlers read it back with request_id_of(res). The proxy passes it to
// the router, which stores it in the request's ReservationCreated event (docs/EVENT_LOG.md), and
// the access log writes it, so one request can be followed from the client's log to the event log.
#pragma once

#include <string>
#include <string_view>

namespace httplib {
struct Response;
}

namespace qg {

inline constexpr const char* kRequestIdHeader = "x-request-id";

// True when a client-supplied id is kept as is.
bool acceptable_request_id(std::string_view id);

// A new random UUID v4, lower-case hex ("0f8c1e4e-9b1a-4c55-8d0e-3f1f0d2b7a61").
std::string generate_request_id();

// The client's id when acceptable, else a generated one.
std::string request_id_from(std::string_view client_value);

// The id set on this response ("" before routing set one).
std::string request_id_of(const httplib::Response& res);

}  // namespace qg
