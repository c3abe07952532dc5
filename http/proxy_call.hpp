// http/proxy_call.hpp — one proxied call in any dialect (internal to the proxy: used by
// proxy_routes.cpp and dialect_routes.cpp; includes httplib).
//
// The dialect handlers parse their request into a ProxyCall; proxy_call() then runs the
// lifecycle shared by every dialect: route and reserve on an account serving the dialect ->
// forward (model spliced, client credentials dropped, the account's own added) -> relay
// plain or streamed -> commit usage (or the estimate) / release -> report the outcome, with
// failover over proxy.max_attempts accounts before the first byte reached the client.
#pragma once

#include "http/access_log.hpp"
#include "http/client_auth.hpp"
#include "messages/proxy_backend.hpp"
#include "http/proxy_routes.hpp"
#include "http/request_parser.hpp"
#include "http/response_affinity.hpp"
#include "http/upstream_call.hpp"
#include "messages/dialect.hpp"

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

namespace qg {

struct ProxyService {
  std::shared_ptr<ProxyBackend> backend;
  ProxyOptions options;
  std::shared_ptr<ClientAuth> auth;  // shared with the front door; reload rotates its keys
  UpstreamTimeouts timeouts;
  std::shared_ptr<ResponseAffinity> responses;  // response id -> account (responses dialect)
};

struct ProxyCall {
  Dialect dialect = Dialect::chat;
  std::string client_key_id;   // fingerprint from authenticate(), "" when open; never the key
  std::string endpoint;        // upstream path under the account's base ("/chat/completions",
                               // "/messages", "/responses"); gemini: the action
  ParsedRequest request;       // model, stream, max tokens, prompt bytes, body splices
  bool model_in_body = true;   // gemini: the model is in the URL (never spliced into the body)
  bool reserve = true;         // count_tokens: routed, not reserved
  std::string pin_account;     // previous_response_id: only this account
  std::string query;           // query string to forward ("" or "?beta=true"), client key removed
  HeaderList pass_headers;     // client headers forwarded as they are (anthropic-version, -beta)
};

// The client's key from Authorization: Bearer, x-api-key, x-goog-api-key or ?key= (the
// first present that matches server.api_keys). The key fingerprint, or nullopt if refused.
std::optional<std::string> authenticate(const ClientAuth& auth, const httplib::Request& req);

// A QuotaGuard error in the dialect's shape (http/dialect_errors.hpp).
void send_dialect_error(httplib::Response& res, Dialect dialect, int status, std::string_view message,
                        std::string_view code, std::string_view param = {}, std::int64_t retry_after_s = 0);

// A provider's answer relayed to the client (after QuotaGuard's own x-quotaguard-* headers):
// its status, its headers (http/upstream_headers.hpp) and its body — moved when a 2xx, else
// with every secret redacted (config/redaction.hpp): some providers quote the key they were
// sent in an error. Every route relaying an upstream answer goes through it.
void relay_upstream_reply(httplib::Response& res, UpstreamReply& reply);

// The query string of `req` without `key` (the Gemini client key), "" or "?a=b&...": names and
// values percent-encoded (it goes into the upstream request line).
std::string forwarded_query(const httplib::Request& req);

// `access` is the request's access-log line (http/access_log.hpp): filled here; a stream takes
// it over (status set to -1) and writes it when the relay ends.
void proxy_call(ProxyService& svc, ProxyCall& call, const httplib::Request& req, httplib::Response& res,
                AccessLogEntry& access);

// A proxied route's handler: `access` as for proxy_call().
using ProxyHandler = std::function<void(ProxyService&, const httplib::Request&, httplib::Response&, AccessLogEntry&)>;

// `handler` wrapped with what every proxied route does around it: counted in flight (graceful
// shutdown waits for it; a stream holds its own), its access line written unless a stream took
// it over, quotaguard_requests_total{account, model, status} (the model sent upstream) and
// quotaguard_request_duration_seconds{route = `label`} (http/proxy_routes.cpp).
httplib::Server::Handler instrumented(std::shared_ptr<ProxyService> svc, std::string label, ProxyHandler handler);

// Registers the messages, responses and gemini routes (http/dialect_routes.cpp).
void register_dialect_routes(httplib::Server& server, std::shared_ptr<ProxyService> svc);

}  // namespace qg
