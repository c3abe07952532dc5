// http/proxy_routes.hpp — the proxy endpoints, every dialect.
//
// Registers on an httplib::Server (constructed and tuned by http/http_server):
//   chat       POST /v1/chat/completions (plain and "stream": true SSE), POST /v1/completions,
//              POST /v1/embeddings, GET /v1/models
//   messages   POST /v1/messages, POST /v1/messages/count_tokens        (http/dialect_routes)
//   responses  POST /v1/responses, GET|DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel,
//              GET /v1/responses/{id}/input_items
//   gemini     POST /v1beta/models/{model}:generateContent|streamGenerateContent|countTokens,
//              GET /v1beta/models
// Per request: client auth (server.api_keys; Authorization: Bearer, x-api-key,
// x-goog-api-key or ?key=, never forwarded) -> parse (http/request_parser, http/dialect_request) ->
// ProxyBackend::route_and_reserve -> forward to the account's upstream (http/upstream_call)
// -> relay -> commit real usage (or an estimate) -> x-quotaguard-{account,model,reservation}.
// 429/5xx/connect errors/timeouts before any byte reached the client release the
// reservation, report the outcome and retry on another account (proxy.max_attempts).
// Every upstream response is parsed for rate-limit signals (http/ratelimit_parsers) and
// reported to the backend. No httplib in this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace qg {

class ClientAuth;
class ProxyBackend;

struct ProxyOptions {
  std::vector<std::string> api_keys;       // server.api_keys; empty = open (used when auth is null)
  std::shared_ptr<ClientAuth> auth;        // shared with the front door and reload (rotates keys)
  std::size_t max_body_bytes = 10485760;   // server.max_body_bytes -> 413
  int max_attempts = 3;                    // proxy.max_attempts: accounts tried per request
  std::int64_t connect_timeout_ms = 5000;  // proxy.connect_timeout
  std::int64_t first_byte_timeout_ms = 120000;  // proxy.first_byte_timeout: headers + first bytes
  std::int64_t idle_timeout_ms = 60000;    // proxy.idle_timeout: between stream chunks
  std::int64_t default_max_tokens = 1024;  // reservations.default_max_tokens
  std::size_t max_sse_event_bytes = 16 * 1024 * 1024;  // proxy.max_sse_event_bytes
  std::size_t max_response_bytes = 64u << 20;          // proxy.max_response_bytes (non-stream bodies)
  std::int64_t request_timeout_ms = 600000;            // proxy.request_timeout: whole non-stream request
  std::map<std::string, std::int64_t> default_output_tokens;  // reservations.default_output_tokens
  std::string responses_path;              // response -> account store file ("" = memory only)
};

// The front-door check for /v1/* (HttpServer RouteFamily::admit): the client key, before the
// body is read; false with an OpenAI-shaped 401 filled in.
std::function<bool(const httplib::Request&, httplib::Response&)> client_admit(std::shared_ptr<ClientAuth> auth);
// The body of a QuotaGuard error on a client path, in that path's dialect (chat, messages,
// responses, gemini), for the front door's route families.
std::string client_error_body(std::string_view path, int status, std::string_view code, std::string_view message);

// `backend` must be thread-safe; it is shared by all handler threads and kept alive by the
// registered routes.
void register_proxy_routes(httplib::Server& server, std::shared_ptr<ProxyBackend> backend,
                           ProxyOptions options);

}  // namespace qg
