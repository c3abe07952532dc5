// http/api_support.hpp — what the admin, advisory and metrics routes share.
//
// Authorisation (Bearer admin token, constant-time compare; X-API-Key accepted where the Go
// QuotaGuard used it), OpenAI-shaped error replies, OpError rendering, JSON body parsing
// with a one-line 400 naming what is wrong, and `ApiRoutes`, which registers a handler
// behind auth, exception safety and the quotaguard_api_requests_total counter. httplib is
// only forward-declared here; the routes' .cpp files include it.
#pragma once

#include "messages/operations.hpp"
#include "messages/text_bounds.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace qg {

class AdminToken;  // http/client_auth.hpp

struct ApiAuth {
  std::shared_ptr<const AdminToken> token;  // null or "" = no auth required; rotates on reload
  bool accept_x_api_key = false;  // also accept `X-API-Key: <token>` (Go QuotaGuard clients)
};

// The front-door check (HttpServer RouteFamily::admit) for admin routes: false with a 401
// filled in when admin_auth_refusal refuses, before the request body is read.
std::function<bool(const httplib::Request&, httplib::Response&)> admin_admit(ApiAuth auth);

// "" when `req` carries the admin token (http/client_auth.hpp: Bearer, any case, or X-API-Key
// where accepted; control characters refused), else the 401 message.
std::string admin_auth_refusal(const ApiAuth& auth, const httplib::Request& req);

// The OpenAI error `type` for an HTTP status of the admin API (http/openai_errors.hpp, but
// 404 is not_found_error).
const char* error_type_for(int status);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error":{"message","type","code"}} plus `extra` members at top level (e.g. retry_after_s).
void send_error(httplib::Response& res, int status, std::string_view code,
                std::string_view message, const nlohmann::json& extra = nullptr);
// A typed verb's refusal in the admin API's dialect: status and code from the OpError
// (invalid_argument 400 invalid_request, unknown_account/not_found 404 not_found,
// rejected 409 conflict, journal_unavailable/unavailable 503 unavailable).
int op_error_status(OpError e);
const char* op_error_code(OpError e);
void send_failure(httplib::Response& res, const OpFailure& f);

// The body as a JSON object. An empty body counts as {} when `empty_ok`. On failure sends a
// 400 ("request body: ...") and answers nullopt.
std::optional<nlohmann::json> parse_json_object(const httplib::Request& req,
                                                httplib::Response& res, bool empty_ok);

// Reads optional typed members of a request object; a present member of the wrong type
// becomes the 400 message "<field>: must be <kind>". Throw BadField; ApiRoutes answers 400.
struct BadField : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Strings are bounded (item 9, messages/text_bounds.hpp): opt_string and the list items at
// `max_bytes` (kMaxTextBytes unless said), opt_name at kMaxNameBytes without control
// characters; a list holds at most kMaxListItems. The 400 names the field, never the value.
std::optional<std::string> opt_string(const nlohmann::json& o, const std::string& field,
                                      std::size_t max_bytes = kMaxTextBytes);
std::optional<std::string> opt_name(const nlohmann::json& o, const std::string& field);
std::optional<double> opt_number(const nlohmann::json& o, const std::string& field);
// A number in [lo, hi] (else "<field>: must be between lo and hi"), nullopt when absent.
std::optional<double> opt_number_in(const nlohmann::json& o, const std::string& field, double lo,
                                    double hi);
std::optional<bool> opt_bool(const nlohmann::json& o, const std::string& field);
std::vector<std::string> opt_string_list(const nlohmann::json& o, const std::string& field);
// {"requests","input_tokens","output_tokens"} non-negative integers; nullopt when absent.
std::optional<Usage> opt_usage(const nlohmann::json& o, const std::string& field);
std::string required_string(const nlohmann::json& o, const std::string& field);

// Registers routes behind one auth policy. `route` is the template counted in metrics
// ("/api/v1/accounts/{id}"); `pattern` the httplib regex.
class ApiRoutes {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // POST/PUT bodies are read with `max_body_bytes` as the bound (http/bounded_body.hpp).
  ApiRoutes(httplib::Server& server, ApiAuth auth, std::size_t max_body_bytes = kDefaultMaxAdminBody)
      : server_(server), auth_(std::move(auth)), max_body_bytes_(max_body_bytes) {}
  static constexpr std::size_t kDefaultMaxAdminBody = 1u << 20;  // = server.max_admin_body_bytes

  void get(const std::string& pattern, const std::string& route, Handler h);
  void post(const std::string& pattern, const std::string& route, Handler h);
  void put(const std::string& pattern, const std::string& route, Handler h);

 private:
  Handler wrap(const std::string& route, Handler h) const;
  httplib::Server& server_;
  ApiAuth auth_;
  std::size_t max_body_bytes_;
};

}  // namespace qg
