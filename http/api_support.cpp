// http/api_support.cpp — see api_support.hpp.
#include "http/api_support.hpp"
#include "messages/usage_range.hpp"
#include "messages/json_depth.hpp"

#include "http/bounded_body.hpp"
#include "http/client_auth.hpp"
#include "http/openai_errors.hpp"
#include "metrics/quotaguard_metrics.hpp"

#include <httplib.h>

#include <array>
#include <cmath>

namespace qg {

std::string admin_auth_refusal(const ApiAuth& auth, const httplib::Request& req) {
  const std::shared_ptr<const std::string> token = auth.token ? auth.token->current() : nullptr;
  if (!token || token->empty()) return {};
  const bool has_authorization = req.has_header("Authorization");
  const bool has_x_api_key = auth.accept_x_api_key && req.has_header("X-API-Key");
  if (!has_authorization && !has_x_api_key)
    return auth.accept_x_api_key
               ? "missing admin token: send Authorization: Bearer <admin_token> or X-API-Key"
               : "missing admin token: send Authorization: Bearer <admin_token>";
  // Whole header values: get_header_value() would cut them at a NUL byte.
  auto value_of = [&](const char* name) {
    auto it = req.headers.find(name);
    return it == req.headers.end() ? std::string() : it->second;
  };
  const std::string authorization = value_of("Authorization");
  const std::string x_api_key = has_x_api_key ? value_of("X-API-Key") : std::string();
  std::optional<std::string_view> given = bearer_credential(authorization);
  if (!given && has_x_api_key) given = header_credential(x_api_key);
  if (!given || !secret_matches(*token, *given)) return "invalid admin token";
  return {};
}

std::function<bool(const httplib::Request&, httplib::Response&)> admin_admit(ApiAuth auth) {
  return [auth = std::move(auth)](const httplib::Request& req, httplib::Response& res) {
    const std::string refusal = admin_auth_refusal(auth, req);
    if (refusal.empty()) return true;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", refusal);
    return false;
  };
}

namespace {

const char* kind_of(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::null: return "null";
    default: return "a number";
  }
}

}  // namespace

const char* error_type_for(int status) {
  // The proxy's OpenAI mapping, except that the admin API names a missing resource (OpenAI
  // calls it an invalid request) and answers no upstream error of its own.
  if (status == 404) return "not_found_error";
  if (status == 502 || status == 504) return "server_error";
  return openai_error_type(status);
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code,
                std::string_view message, const nlohmann::json& extra) {
  nlohmann::json body = nlohmann::json::object();
  if (extra.is_object()) body = extra;
  body["error"] = {{"message", message}, {"type", error_type_for(status)}, {"code", code}};
  if (body.contains("retry_after_s") && body["retry_after_s"].is_number()) {
    const double s = body["retry_after_s"].get<double>();
    res.set_header("Retry-After", std::to_string(static_cast<long long>(std::ceil(std::max(s, 0.0)))));
  }
  send_json(res, status, body);
}

int op_error_status(OpError e) {
  switch (e) {
    case OpError::invalid_argument: return 400;
    case OpError::unknown_account:
    case OpError::not_found: return 404;
    case OpError::rejected: return 409;
    case OpError::journal_unavailable:
    case OpError::unavailable: return 503;
  }
  return 500;
}

const char* op_error_code(OpError e) {
  switch (e) {
    case OpError::invalid_argument: return "invalid_request";
    case OpError::unknown_account:
    case OpError::not_found: return "not_found";
    case OpError::rejected: return "conflict";
    case OpError::journal_unavailable:
    case OpError::unavailable: return "unavailable";
  }
  return "error";
}

void send_failure(httplib::Response& res, const OpFailure& f) {
  send_error(res, op_error_status(f.error), op_error_code(f.error), f.message);
}

std::optional<nlohmann::json> parse_json_object(const httplib::Request& req,
                                                httplib::Response& res, bool empty_ok) {
  const bool blank = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    if (empty_ok) return nlohmann::json::object();
    send_error(res, 400, "invalid_request", "request body: a JSON object is required");
    return std::nullopt;
  }
  if (json_too_deep(req.body)) {
    send_error(res, 400, "json_too_deep", "request body: " + json_depth_error());
    return std::nullopt;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    send_error(res, 400, "invalid_json", "request body: not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    send_error(res, 400, "invalid_request",
               std::string("request body: must be a JSON object, not ") + kind_of(body));
    return std::nullopt;
  }
  return body;
}

std::optional<std::string> opt_string(const nlohmann::json& o, const std::string& field, std::size_t max_bytes) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw BadField(field + ": must be a string, not " + kind_of(*it));
  if (it->get_ref<const std::string&>().size() > max_bytes)
    throw BadField(field + ": must be at most " + std::to_string(max_bytes) + " bytes");
  return it->get<std::string>();
}

std::optional<std::string> opt_name(const nlohmann::json& o, const std::string& field) {
  auto v = opt_string(o, field);
  if (v)
    if (std::string why = name_refusal(field, *v); !why.empty()) throw BadField(why);
  return v;
}

std::optional<double> opt_number(const nlohmann::json& o, const std::string& field) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw BadField(field + ": must be a number, not " + kind_of(*it));
  const double v = it->get<double>();
  if (!std::isfinite(v)) throw BadField(field + ": must be a finite number");
  return v;
}

std::optional<double> opt_number_in(const nlohmann::json& o, const std::string& field, double lo,
                                    double hi) {
  auto v = opt_number(o, field);
  if (v && (*v < lo || *v > hi)) {
    nlohmann::json bounds = {lo, hi};
    throw BadField(field + ": must be between " + bounds[0].dump() + " and " + bounds[1].dump());
  }
  return v;
}

std::optional<bool> opt_bool(const nlohmann::json& o, const std::string& field) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw BadField(field + ": must be a boolean, not " + kind_of(*it));
  return it->get<bool>();
}

std::vector<std::string> opt_string_list(const nlohmann::json& o, const std::string& field) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return {};
  if (!it->is_array()) throw BadField(field + ": must be an array of strings, not " + kind_of(*it));
  if (it->size() > kMaxListItems)
    throw BadField(field + ": at most " + std::to_string(kMaxListItems) + " items");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string())
      throw BadField(field + "[" + std::to_string(i) + "]: must be a string, not " + kind_of(v));
    if (std::string why = text_refusal(field + "[" + std::to_string(i) + "]", v.get_ref<const std::string&>());
        !why.empty())
      throw BadField(why);
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<Usage> opt_usage(const nlohmann::json& o, const std::string& field) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) throw BadField(field + ": must be an object, not " + kind_of(*it));
  Usage u;
  auto read = [&](const char* key, std::int64_t& out) {
    auto m = it->find(key);
    if (m == it->end() || m->is_null()) return;
    if (!m->is_number_integer() || m->get<std::int64_t>() < 0 || m->get<std::int64_t>() > kMaxUsagePerRequest)
      throw BadField(field + "." + key + ": must be an integer between 0 and " +
                     std::to_string(kMaxUsagePerRequest));
    out = m->get<std::int64_t>();
  };
  read("requests", u.requests);
  read("input_tokens", u.input_tokens);
  read("output_tokens", u.output_tokens);
  for (auto m = it->begin(); m != it->end(); ++m)
    if (m.key() != "requests" && m.key() != "input_tokens" && m.key() != "output_tokens")
      throw BadField(field + "." + m.key() + ": unknown field (requests, input_tokens, output_tokens)");
  return u;
}

std::string required_string(const nlohmann::json& o, const std::string& field) {
  auto v = opt_string(o, field);
  if (!v || v->empty()) throw BadField(field + ": required");
  return *v;
}

ApiRoutes::Handler ApiRoutes::wrap(const std::string& route, Handler h) const {
  return [auth = auth_, route, h = std::move(h)](const httplib::Request& req,
                                                   httplib::Response& res) {
    if (const std::string refusal = admin_auth_refusal(auth, req); !refusal.empty()) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "unauthorized", refusal);
    } else {
      try {
        h(req, res);
      } catch (const BadField& e) {
        send_error(res, 400, "invalid_request", e.what());
      } catch (const std::exception&) {
        send_error(res, 500, "internal_error", "internal error while handling " + route);
      }
    }
    metrics::api_requests_total().with({route, std::to_string(res.status)}).inc();
  };
}

void ApiRoutes::get(const std::string& pattern, const std::string& route, Handler h) {
  server_.Get(pattern, wrap(route, std::move(h)));
}

void ApiRoutes::post(const std::string& pattern, const std::string& route, Handler h) {
  post_bounded(server_, pattern, max_body_bytes_, wrap(route, std::move(h)));
}

void ApiRoutes::put(const std::string& pattern, const std::string& route, Handler h) {
  put_bounded(server_, pattern, max_body_bytes_, wrap(route, std::move(h)));
}

}  // namespace qg
