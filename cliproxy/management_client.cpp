// cliproxy/management_client.cpp — see management_client.hpp.
#include "cliproxy/management_client.hpp"
#include "messages/text_cut.hpp"
#include "messages/json_depth.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace qg::cliproxy {
namespace {

constexpr const char* kPrefix = "/v0/management";

// "{"error":"invalid management key"}" -> "invalid management key"; else a short excerpt.
std::string error_text(const std::string& body) {
  auto j = json_too_deep(body) ? nlohmann::json() : nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_string()) return e->get<std::string>();
    if (e != j.end() && e->is_object() && e->contains("message") && (*e)["message"].is_string())
      return (*e)["message"].get<std::string>();
  }
  std::string excerpt(utf8_prefix(body, 120));
  for (char& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  return excerpt;
}

ManagementError classify(int status, const std::string& body) {
  ManagementError e;
  e.status = status;
  std::string text = error_text(body);
  switch (status) {
    case 401:
      e.kind = ManagementErrorKind::unauthorized;
      e.message = "CLIProxyAPI management key rejected (401: " + text +
                  "): fix cliproxy.management_key; not retried (5 failures ban the IP for 30 min)";
      break;
    case 403:
      if (text.find("banned") != std::string::npos) {
        e.kind = ManagementErrorKind::banned;
        e.message = "CLIProxyAPI banned this IP after failed management logins (403: " + text + "); not retried";
      } else {
        e.kind = ManagementErrorKind::forbidden;
        e.message = "CLIProxyAPI management API refused (403: " + text + ")";
      }
      break;
    case 404:
      if (body.find("\"error\"") != std::string::npos) {  // a JSON error: the route exists
        e.kind = ManagementErrorKind::bad_response;
        e.message = "CLIProxyAPI management API: " + text;
        break;
      }
      e.kind = ManagementErrorKind::disabled;
      e.message = "CLIProxyAPI management API disabled (404: set remote-management.secret-key in its config.yaml)";
      break;
    default:
      e.kind = status >= 500 ? ManagementErrorKind::server_error : ManagementErrorKind::bad_response;
      e.message = "CLIProxyAPI management API answered " + std::to_string(status) + ": " + text;
  }
  return e;
}

}  // namespace

const char* to_string(ManagementErrorKind k) {
  switch (k) {
    case ManagementErrorKind::none: return "none";
    case ManagementErrorKind::unauthorized: return "unauthorized";
    case ManagementErrorKind::banned: return "banned";
    case ManagementErrorKind::forbidden: return "forbidden";
    case ManagementErrorKind::disabled: return "disabled";
    case ManagementErrorKind::unreachable: return "unreachable";
    case ManagementErrorKind::server_error: return "server_error";
    case ManagementErrorKind::bad_response: return "bad_response";
  }
  return "none";
}

CpaVersion parse_cpa_version(std::string_view text) {
  CpaVersion v;
  v.text = std::string(text);
  std::string_view s = text;
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  int parts[3] = {0, 0, 0};
  int idx = 0;
  bool any = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      parts[idx] = parts[idx] * 10 + (c - '0');
      any = true;
    } else if (c == '.' && idx < 2) {
      ++idx;
    } else {
      break;
    }
  }
  if (any) {
    v.major = parts[0];
    v.minor = parts[1];
    v.patch = parts[2];
  }
  return v;
}

struct ManagementClient::Impl {
  std::string key;
  httplib::Client client;
  Impl(const std::string& base_url, std::string k) : key(std::move(k)), client(without_trailing_slash(base_url)) {}
  static std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
};

ManagementClient::ManagementClient(std::string base_url, std::string management_key)
    : ManagementClient(std::move(base_url), std::move(management_key), Options{}) {}

ManagementClient::ManagementClient(std::string base_url, std::string management_key, Options options)
    : impl_(std::make_unique<Impl>(base_url, std::move(management_key))) {
  impl_->client.set_connection_timeout(options.connect_timeout_ms / 1000, (options.connect_timeout_ms % 1000) * 1000);
  impl_->client.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  impl_->client.set_write_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  impl_->client.set_tcp_nodelay(true);
  impl_->client.set_keep_alive(true);
}

ManagementClient::~ManagementClient() = default;

std::optional<ManagementClient::Reply> ManagementClient::send(const char* method, const std::string& path,
                                                              const std::string& body,
                                                              ManagementError& error) {
  if (lockout_) {  // never knock again with a rejected key
    error = lockout_;
    return std::nullopt;
  }
  httplib::Headers headers = {{"Authorization", "Bearer " + impl_->key}, {"Accept", "application/json"}};
  httplib::Request req;
  req.method = method;
  req.path = std::string(kPrefix) + path;
  req.headers = headers;
  if (!body.empty()) {
    req.body = body;
    req.set_header("Content-Type", "application/json");
  }
  ++requests_sent_;
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  if (!impl_->client.send(req, res, err)) {
    error.kind = ManagementErrorKind::unreachable;
    error.status = 0;
    error.message = "CLIProxyAPI management API unreachable: " + httplib::to_string(err);
    return std::nullopt;
  }
  if (res.has_header("X-CPA-VERSION")) version_ = parse_cpa_version(res.get_header_value("X-CPA-VERSION"));
  if (res.status < 200 || res.status >= 300) {
    error = classify(res.status, res.body);
    if (error.kind == ManagementErrorKind::unauthorized || error.kind == ManagementErrorKind::banned)
      lockout_ = error;
    return std::nullopt;
  }
  return Reply{res.status, std::move(res.body)};
}

ManagementResult<std::vector<ManagedAuthFile>> ManagementClient::list_auth_files() {
  ManagementResult<std::vector<ManagedAuthFile>> r;
  auto reply = send("GET", "/auth-files", "", r.error);
  if (!reply) return r;
  std::string err;
  r.value = parse_auth_files(reply->body, &err);
  if (!r.value) r.error = {ManagementErrorKind::bad_response, reply->status, err};
  return r;
}

ManagementResult<ApiCallResponse> ManagementClient::api_call(const std::string& request_json) {
  ManagementResult<ApiCallResponse> r;
  auto reply = send("POST", "/api-call", request_json, r.error);
  if (!reply) return r;
  std::string err;
  r.value = parse_api_call_response(reply->body, &err);
  if (!r.value) r.error = {ManagementErrorKind::bad_response, reply->status, err};
  return r;
}

ManagementResult<bool> ManagementClient::set_prefix(const std::string& file_name, const std::string& prefix) {
  ManagementResult<bool> r;
  nlohmann::json body = {{"name", file_name}, {"prefix", prefix}};
  if (send("PATCH", "/auth-files/fields", body.dump(), r.error)) r.value = true;
  return r;
}

ManagementResult<std::vector<std::string>> ManagementClient::reset_quota(const std::string& auth_index) {
  ManagementResult<std::vector<std::string>> r;
  nlohmann::json body = {{"auth_index", auth_index}};
  auto reply = send("POST", "/reset-quota", body.dump(), r.error);
  if (!reply) return r;
  auto j = json_too_deep(reply->body) ? nlohmann::json() : nlohmann::json::parse(reply->body, nullptr, false);
  std::vector<std::string> models;
  if (j.is_object() && j.contains("models") && j["models"].is_array())
    for (const auto& m : j["models"])
      if (m.is_string()) models.push_back(m.get<std::string>());
  r.value = std::move(models);
  return r;
}

}  // namespace qg::cliproxy
