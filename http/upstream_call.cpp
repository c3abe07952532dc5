// http/upstream_call.cpp — see upstream_call.hpp.
#include "http/upstream_call.hpp"
#include "http/base_url.hpp"

#include <httplib.h>

#include <unordered_map>

namespace qg {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

void set_ms_timeout(httplib::Client& c, void (httplib::Client::*setter)(time_t, time_t), std::int64_t ms) {
  (c.*setter)(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
}

void configure(httplib::Client& c, const UpstreamTimeouts& t, std::int64_t read_ms) {
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  set_ms_timeout(c, &httplib::Client::set_connection_timeout, t.connect_ms);
  set_ms_timeout(c, &httplib::Client::set_read_timeout, read_ms);
  set_ms_timeout(c, &httplib::Client::set_write_timeout, std::max<std::int64_t>(t.connect_ms, 5000));
}

HeaderList to_header_list(const httplib::Headers& h) {
  HeaderList out;
  out.reserve(h.size());
  for (const auto& [k, v] : h) out.emplace_back(k, v);
  return out;
}

// A failed call (no response): which kind, and a short description.
void describe_failure(httplib::Error err, std::int64_t elapsed_ms, std::int64_t read_timeout_ms,
                      const UpstreamTimeouts& t, UpstreamReply& r) {
  if (err == httplib::Error::ConnectionTimeout) {
    r.failure = OutcomeKind::timeout;
    r.detail = "connect timeout " + std::to_string(t.connect_ms) + "ms";
  } else if (err == httplib::Error::Read && elapsed_ms + 20 >= read_timeout_ms) {
    r.failure = OutcomeKind::timeout;
    r.detail = "first-byte timeout " + std::to_string(read_timeout_ms) + "ms";
  } else {
    r.failure = OutcomeKind::connect_error;
    r.detail = "upstream " + httplib::to_string(err);
  }
}

}  // namespace

HeaderList upstream_request_headers(const UpstreamTarget& t, bool stream) {
  HeaderList h;
  if (!t.api_key.empty()) {
    if (t.provider == "gemini") {
      h.emplace_back("x-goog-api-key", t.api_key);
    } else {
      h.emplace_back("Authorization", "Bearer " + t.api_key);
      if (t.provider == "anthropic") h.emplace_back("x-api-key", t.api_key);
    }
  }
  for (const auto& [k, v] : t.extra_headers) h.emplace_back(k, v);
  if (stream) h.emplace_back("Accept", "text/event-stream");
  return h;
}

UpstreamTarget make_upstream_target(const std::string& base_url, const std::string& endpoint_path,
                                    const std::string& provider, const std::string& api_key) {
  UpstreamTarget t;
  t.provider = provider;
  t.api_key = api_key;
  BaseUrl base = split_base_url(base_url);
  if (!base.ok()) return t;
  t.scheme_host_port = std::move(base.origin);
  t.path = (base.has_path ? base.path : std::string("/v1")) + endpoint_path;  // no path at all: /v1
  return t;
}

UpstreamReply call_upstream_plain(const UpstreamTarget& target, const std::string& body,
                                  const UpstreamTimeouts& timeouts) {
  thread_local std::unordered_map<std::string, std::unique_ptr<httplib::Client>> clients;
  auto& client = clients[target.scheme_host_port];
  if (!client) client = std::make_unique<httplib::Client>(target.scheme_host_port);
  const std::int64_t read_ms = std::min(timeouts.first_byte_ms, std::max<std::int64_t>(timeouts.total_ms, 1));
  configure(*client, timeouts, read_ms);
  UpstreamReply r;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeouts.total_ms);
  enum class Stop { none, too_large, deadline } stop = Stop::none;
  httplib::Request req;
  req.method = target.method.empty() ? "POST" : target.method;  // GET/DELETE: the responses {id} routes
  req.path = target.path;
  for (auto& [k, v] : upstream_request_headers(target, false)) req.headers.emplace(std::move(k), std::move(v));
  if (req.method == "POST") {
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
  }
  req.response_handler = [&](const httplib::Response& head) {
    r.status = head.status;
    r.headers = to_header_list(head.headers);
    r.latency_ms = ms_since(start);
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (r.body.size() + n > timeouts.max_body_bytes) stop = Stop::too_large;
    else if (Clock::now() > deadline) stop = Stop::deadline;
    if (stop != Stop::none) return false;
    r.body.append(data, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client->send(req, res, err);
  if (!sent || stop != Stop::none) {
    client.reset();  // the connection is mid-response: never reuse it
    std::string().swap(r.body);
    if (stop != Stop::none) r.cut_status = r.status;  // we cut it; a reset is the upstream's failure
    r.status = 0;
    if (r.latency_ms == 0) r.latency_ms = ms_since(start);
    if (stop == Stop::too_large) {
      r.failure = OutcomeKind::server_error;
      r.detail = "response larger than " + std::to_string(timeouts.max_body_bytes) + " bytes";
    } else if (stop == Stop::deadline || Clock::now() >= deadline) {
      r.failure = OutcomeKind::timeout;
      r.detail = "response not complete within proxy.request_timeout (" + std::to_string(timeouts.request_timeout_ms) + "ms)";
    } else {
      describe_failure(err, ms_since(start), read_ms, timeouts, r);
    }
  }
  return r;
}

}  // namespace qg
