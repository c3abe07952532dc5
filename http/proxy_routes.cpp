// http/proxy_routes.cpp — see proxy_routes.hpp; the dialect-independent call is proxy_call().
#include "http/proxy_routes.hpp"
#include "messages/usage_range.hpp"
#include "http/shutdown_flag.hpp"
#include "messages/wall_clock.hpp"

#include "messages/token_estimate.hpp"
#include "http/access_log.hpp"
#include "http/bounded_body.hpp"
#include "config/redaction.hpp"
#include "http/client_auth.hpp"
#include "http/dialect_errors.hpp"
#include "http/dialect_usage.hpp"
#include "messages/proxy_backend.hpp"
#include "http/proxy_call.hpp"
#include "http/proxy_stream.hpp"
#include "http/request_id.hpp"
#include "http/request_parser.hpp"
#include "http/reservation_guard.hpp"
#include "http/sse_relay.hpp"
#include "http/upstream_call.hpp"
#include "http/upstream_headers.hpp"
#include "metrics/quotaguard_metrics.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace qg {
namespace {

void set_quotaguard_headers(httplib::Response& res, const RouteGrant& g) {
  add_reply_header(res, "x-quotaguard-account", g.account_id);
  add_reply_header(res, "x-quotaguard-model", g.model_upstream);
  if (!g.reservation_id.empty()) add_reply_header(res, "x-quotaguard-reservation", g.reservation_id);
}

// What went wrong over the attempts of one request, to choose the client's error.
struct AttemptLog {
  int failures = 0;
  int rate_limited = 0;
  bool last_was_timeout = false;
  TimeMs earliest_cooldown = 0;
  std::string last_detail;

  void add(const UpstreamOutcome& o) {
    ++failures;
    last_was_timeout = o.kind == OutcomeKind::timeout;
    last_detail = o.detail;
    if (o.kind == OutcomeKind::rate_limited) {
      ++rate_limited;
      TimeMs until = o.signals.cooldown_until;
      if (until > 0 && (earliest_cooldown == 0 || until < earliest_cooldown)) earliest_cooldown = until;
    }
  }
};

// No (further) account can serve: the router's refusal, or the upstream failures seen.
void respond_unserved(httplib::Response& res, ProxyService& svc, Dialect dialect, const AttemptLog& log,
                      const RouteGrant* refusal, const std::string& model) {
  if (log.failures == 0 && refusal) {
    send_dialect_error(res, dialect, refusal->http_status,
                       refusal->error_message.empty() ? "No account can serve this request." : refusal->error_message,
                       refusal->error_code.empty() ? "quota_exhausted" : refusal->error_code, {}, refusal->retry_after_s);
    return;
  }
  if (log.rate_limited == log.failures) {
    std::int64_t retry = refusal ? refusal->retry_after_s : 0;
    if (log.earliest_cooldown > 0) {
      std::int64_t hint = std::max<std::int64_t>(1, (log.earliest_cooldown - system_clock_ms() + 999) / 1000);
      retry = retry > 0 ? std::min(retry, hint) : hint;
    }
    send_dialect_error(res, dialect, 429, "All accounts for model " + model + " are out of quota.", "quota_exhausted", {},
                       std::max<std::int64_t>(retry, 1));
    return;
  }
  if (log.last_was_timeout)
    send_dialect_error(res, dialect, 504, "Upstream timed out (" + log.last_detail + ").", "upstream_timeout");
  else
    send_dialect_error(res, dialect, 502, "Upstream failed (" + log.last_detail + ").", "upstream_error");
}

// `body`: a plain 2xx reply's body as read here (once: the commit takes its usage from it).
UpstreamOutcome outcome_of(const UpstreamReply& reply, bool streamed, Dialect dialect, BodyUsage& body) {
  UpstreamOutcome o;
  o.http_status = reply.status;
  o.latency_ms = reply.latency_ms;
  if (reply.status == 0) {
    o.kind = reply.failure;
    o.detail = reply.detail;
    return o;
  }
  o.signals = parse_rate_limit_signals(reply.status, reply.headers, reply.body, system_clock_ms());
  o.kind = classify_status(reply.status, o.signals);
  o.detail = "HTTP " + std::to_string(reply.status);
  if (o.kind == OutcomeKind::success && !streamed) body = read_body_usage(dialect, reply.body);
  if (o.kind == OutcomeKind::success && !streamed && !body.valid_json) {
    // A 2xx whose body is not JSON is a broken upstream: fail over, do not relay.
    o.kind = OutcomeKind::server_error;
    o.detail = "HTTP " + std::to_string(reply.status) + " with a malformed JSON body";
  }
  return o;
}

// The first complete SSE event of a stream, when already received, must carry JSON or [DONE].
bool first_event_malformed(const std::string& head) {
  std::size_t end = head.find("\n\n");
  if (end == std::string::npos) return false;  // not complete yet: judge nothing
  std::size_t data = head.find("data:");
  if (data == std::string::npos || data > end) return false;
  std::string payload = head.substr(data + 5, end - data - 5);
  while (!payload.empty() && (payload.front() == ' ')) payload.erase(0, 1);
  while (!payload.empty() && (payload.back() == '\r' || payload.back() == '\n')) payload.pop_back();
  return payload != "[DONE]" && !inspect_completion_json(payload).valid_json;
}

bool retryable(OutcomeKind k) {
  return k == OutcomeKind::rate_limited || k == OutcomeKind::server_error || k == OutcomeKind::timeout ||
         k == OutcomeKind::connect_error || k == OutcomeKind::auth_error;
}

std::string content_type_of(const UpstreamReply& r) {
  auto ct = find_header(r.headers, "content-type");
  return ct ? std::string(*ct) : std::string("application/json");
}

// The Gemini API base of an account: a gemini account's base_url (…/v1beta); for an
// OpenAI-style base (CLIProxyAPI's …/v1) the same host with /v1beta.
std::string gemini_base(const RouteGrant& g) {
  const auto scheme = g.base_url.find("://");
  const auto path = scheme == std::string::npos ? std::string::npos : g.base_url.find('/', scheme + 3);
  std::string base = g.base_url;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (path == std::string::npos) return base + "/v1beta";
  if (g.provider == "gemini") return base;
  if (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0) base.resize(base.size() - 3);
  return base + "/v1beta";
}

UpstreamTarget target_for(const ProxyCall& c, const RouteGrant& g) {
  UpstreamTarget t = c.dialect == Dialect::gemini
                         ? make_upstream_target(gemini_base(g), "/models/" + g.model_upstream + ":" + c.endpoint,
                                                g.provider, g.api_key)
                         : make_upstream_target(g.base_url, c.endpoint, g.provider, g.api_key);
  t.path += c.query;
  t.extra_headers = c.pass_headers;
  return t;
}

// reservations.default_output_tokens by model, then by dialect, then default_max_tokens.
std::int64_t default_output(const ProxyOptions& o, const std::string& model, Dialect d) {
  if (auto it = o.default_output_tokens.find(model); it != o.default_output_tokens.end()) return it->second;
  if (auto it = o.default_output_tokens.find(to_string(d)); it != o.default_output_tokens.end()) return it->second;
  return o.default_max_tokens;
}

void remember_response(ProxyService& svc, const std::string& id, const std::string& account) {
  if (svc.responses && !id.empty()) svc.responses->remember(id, account, system_clock_ms());
}

void relay_plain_success(httplib::Response& res, ProxyService& svc, const ProxyCall& call, const RouteGrant& g,
                         ReservationGuard& guard, UpstreamReply& reply, UpstreamOutcome& outcome, const BodyUsage& info,
                         const Usage& estimate, AccessLogEntry& access) {
  if (!g.reservation_id.empty()) {
    bool estimated = !info.usage.has_value();
    if (info.usage_out_of_range)
      spdlog::warn("proxy: account {} reported usage outside 0..{}; committing the estimate instead",
                   g.account_id, kMaxUsagePerRequest);
    Usage usage = estimated ? Usage{1, estimate.input_tokens,
                                    std::min(tokens_from_bytes(info.content_bytes), kMaxUsagePerRequest)}
                            : *info.usage;
    guard.commit(usage, estimated, outcome);  // the outcome in the same hand-over
    access.usage = usage;
    access.estimated = estimated;
    if (call.dialect == Dialect::responses) remember_response(svc, info.response_id, g.account_id);
  } else {
    svc.backend->report_outcome(g.account_id, outcome);
  }
  set_quotaguard_headers(res, g);
  relay_upstream_reply(res, reply);
}

// The dialect whose error shape a path's errors take.
Dialect dialect_of_path(std::string_view path) {
  if (path.starts_with("/v1/messages")) return Dialect::messages;
  if (path.starts_with("/v1/responses")) return Dialect::responses;
  if (path.starts_with("/v1beta/")) return Dialect::gemini;
  return Dialect::chat;
}

std::optional<std::string> bearer_key_of(const ClientAuth& auth, const httplib::Request& req) {
  // The whole header value: get_header_value() would cut it at a NUL byte.
  auto it = req.headers.find("Authorization");
  return auth.check(it == req.headers.end() ? std::string_view() : std::string_view(it->second));
}

void chat_request(ProxyService& svc, ApiEndpoint endpoint, const httplib::Request& req, httplib::Response& res,
                  AccessLogEntry& access) {
  auto key_id = authenticate(*svc.auth, req);
  if (!key_id) {
    return send_dialect_error(res, Dialect::chat, 401, "Incorrect API key provided.", "invalid_api_key");
  }
  access.client_key = *key_id;
  if (req.body.size() > svc.options.max_body_bytes) {
    return send_dialect_error(res, Dialect::chat, 413,
                              "Request body exceeds " + std::to_string(svc.options.max_body_bytes) + " bytes.",
                              "request_too_large");
  }
  auto parsed = parse_request(endpoint, req.body);
  if (!parsed.request) {
    return send_dialect_error(res, Dialect::chat, 400, parsed.error, "invalid_request_error", parsed.param);
  }
  ProxyCall call;
  call.client_key_id = *key_id;
  call.endpoint = endpoint_path(endpoint);
  call.request = std::move(*parsed.request);
  if (endpoint == ApiEndpoint::embeddings) call.request.max_tokens = -1;  // no output
  proxy_call(svc, call, req, res, access);
}

void list_models(ProxyService& svc, const httplib::Request& req, httplib::Response& res) {
  if (!authenticate(*svc.auth, req))
    return send_dialect_error(res, Dialect::chat, 401, "Incorrect API key provided.", "invalid_api_key");
  auto models = svc.backend->models();
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":" + json_quote(models[i]) + ",\"object\":\"model\",\"created\":0,\"owned_by\":\"quotaguard\"}";
  }
  out += "]}";
  res.set_content(out, "application/json");
}

}  // namespace

std::optional<std::string> authenticate(const ClientAuth& auth, const httplib::Request& req) {
  if (auth.open()) return std::string();
  if (req.has_header("Authorization"))
    if (auto id = bearer_key_of(auth, req)) return id;
  for (const char* header : {"x-api-key", "x-goog-api-key"}) {
    auto it = req.headers.find(header);  // the whole value (a NUL is refused, never cut)
    if (it != req.headers.end())
      if (auto id = auth.check_credential(header_credential(it->second))) return id;
  }
  if (req.has_param("key")) return auth.check_credential(header_credential(req.get_param_value("key")));
  return std::nullopt;
}

std::string client_error_body(std::string_view path, int status, std::string_view code, std::string_view message) {
  return dialect_error_body(dialect_of_path(path), status, message, code, {});
}

std::function<bool(const httplib::Request&, httplib::Response&)> client_admit(std::shared_ptr<ClientAuth> auth) {
  return [auth = std::move(auth)](const httplib::Request& req, httplib::Response& res) {
    if (authenticate(*auth, req)) return true;
    send_dialect_error(res, dialect_of_path(req.path), 401, "Incorrect API key provided.", "invalid_api_key");
    return false;
  };
}

void send_dialect_error(httplib::Response& res, Dialect dialect, int status, std::string_view message,
                        std::string_view code, std::string_view param, std::int64_t retry_after_s) {
  res.status = status;
  if (retry_after_s > 0) res.set_header("Retry-After", std::to_string(retry_after_s));
  res.set_content(dialect_error_body(dialect, status, message, code, param), "application/json");
}

void relay_upstream_reply(httplib::Response& res, UpstreamReply& reply) {
  res.status = reply.status;
  relay_upstream_headers(res, reply.headers);
  std::string ct = content_type_of(reply);
  if (reply.status >= 200 && reply.status < 300) res.set_content(std::move(reply.body), ct);
  else res.set_content(redact(reply.body), ct);  // some providers quote the key they were sent
}

std::string forwarded_query(const httplib::Request& req) {
  // Names encoded as the values are: httplib decoded both, and its params_to_query_str encodes
  // only values — a name holding "\r\n" (sent as %0D%0A) went into the upstream request line
  // as it was and split the request (headers, a second request, on the account's credential).
  std::string out;
  for (const auto& [k, v] : req.params) {
    if (k == "key") continue;
    out += out.empty() ? '?' : '&';
    out += httplib::detail::encode_query_param(k);
    out += '=';
    out += httplib::detail::encode_query_param(v);
  }
  return out;
}

const char* access_dialect(Dialect d) {
  switch (d) {
    case Dialect::chat: return "openai";
    case Dialect::messages: return "anthropic";
    case Dialect::responses: return "responses";
    case Dialect::gemini: return "gemini";
  }
  return "openai";
}

void proxy_call(ProxyService& svc, ProxyCall& call, const httplib::Request& req, httplib::Response& res,
                AccessLogEntry& access) {
  const ParsedRequest& pr = call.request;
  access.dialect = access_dialect(call.dialect);
  access.client_key = call.client_key_id;
  access.model = pr.model;
  access.stream = pr.stream;
  RouteRequest route;
  route.model = pr.model;
  route.endpoint = call.endpoint;
  route.dialect = call.dialect;
  route.client_key = call.client_key_id;
  route.reserve = call.reserve;
  route.account = call.pin_account;
  route.request_id = access.request_id;
  const std::int64_t max_tokens = pr.max_tokens < 0  ? 0  // embeddings: no output
                                  : pr.max_tokens > 0 ? pr.max_tokens
                                                      : default_output(svc.options, pr.model, call.dialect);
  route.estimate = estimate_usage(pr.prompt_bytes, max_tokens);
  const bool pinned = !call.pin_account.empty();
  const int attempts = pinned ? 1 : std::max(1, svc.options.max_attempts);

  AttemptLog log;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(svc.options.request_timeout_ms);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    route.attempt = attempt;
    UpstreamTimeouts timeouts = svc.timeouts;  // a later attempt gets what is left of the deadline
    timeouts.total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (attempt > 1 && !pr.stream && timeouts.total_ms <= 0) break;
    RouteGrant g = svc.backend->route_and_reserve(route);
    if (!g.ok) {
      if (pinned && log.failures == 0)
        g.error_message = "The response this request continues was created on account " + call.pin_account +
                          ", which cannot serve it now: " + g.error_message;
      return respond_unserved(res, svc, call.dialect, log, &g, pr.model);
    }
    access.account = g.account_id;
    access.attempts = attempt;
    ReservationGuard guard(*svc.backend, g.account_id, g.reservation_id);
    UpstreamTarget target = target_for(call, g);
    std::string body = call.model_in_body
                           ? rewrite_request_body(req.body, pr, g.model_upstream, call.dialect == Dialect::chat && pr.stream)
                           : req.body;
    UpstreamReply reply;
    std::shared_ptr<UpstreamStream> stream;
    if (target.scheme_host_port.empty()) {
      reply.failure = OutcomeKind::connect_error;
      reply.detail = "account base_url is not http(s)";
    } else if (pr.stream) {
      stream = std::make_shared<UpstreamStream>(target, std::move(body), timeouts);
      reply = stream->open();
      if (reply.status >= 200 && reply.status < 300 && first_event_malformed(stream->peek())) {
        reply.status = 0;
        reply.failure = OutcomeKind::server_error;
        reply.detail = "stream started with a malformed JSON chunk";
      }
    } else {
      reply = call_upstream_plain(target, body, timeouts);
    }
    if (reply.status >= 200 && reply.status < 300) guard.upstream_served(route.estimate);
    BodyUsage body_usage;
    UpstreamOutcome outcome = outcome_of(reply, pr.stream, call.dialect, body_usage);
    // Streams: latency to the upstream's response head is the time to first byte.
    (pr.stream ? metrics::stream_ttfb_seconds() : metrics::upstream_duration_seconds())
        .with({g.account_id}).observe(static_cast<double>(reply.latency_ms) / 1000.0);
    spdlog::debug("proxy request_id={} attempt={} dialect={} model={} account={} upstream_model={} status={} outcome={} latency={}ms{}{}",
                  access.request_id, attempt, to_string(call.dialect), pr.model, g.account_id, g.model_upstream, reply.status,
                  to_string(outcome.kind), reply.latency_ms, outcome.detail.empty() ? "" : " detail=", outcome.detail);
    if (outcome.kind == OutcomeKind::success) {
      if (!pr.stream)
        return relay_plain_success(res, svc, call, g, guard, reply, outcome, body_usage, route.estimate, access);
      res.status = reply.status;
      set_quotaguard_headers(res, g);
      relay_upstream_headers(res, reply.headers);
      StreamAccounting acc{g.account_id, g.reservation_id, route.estimate, outcome,
                           call.dialect == Dialect::chat && !pr.include_usage, svc.options.idle_timeout_ms,
                           svc.options.max_sse_event_bytes};
      acc.dialect = call.dialect;
      acc.access = access;  // written when the relay ends, with the committed usage
      acc.access->status = reply.status;
      access.status = -1;   // handed over: the handler writes no line
      if (call.dialect == Dialect::responses && svc.responses) {
        auto store = svc.responses;
        const std::string account = g.account_id;
        acc.on_response_id = [store, account](const std::string& id) { store->remember(id, account, system_clock_ms()); };
      }
      start_stream_response(res, svc.backend, std::move(stream), std::move(acc));
      guard.hand_over();  // the stream session commits once when the stream ends
      return;
    }
    if (stream) stream->cancel();
    if (reply.cut_status >= 200 && reply.cut_status < 300)
      guard.commit(route.estimate, /*estimated=*/true);  // a 2xx answer we cut: the provider counted it
    else
      guard.release(upstream_release_reason(outcome.kind));
    svc.backend->report_outcome(g.account_id, outcome);
    if (outcome.kind == OutcomeKind::local_exhausted)  // no account would do better: ours to say
      return send_dialect_error(res, call.dialect, 503, "QuotaGuard has no connection left for this request (" +
                                reply.detail + "); retry shortly.", "unavailable", {}, 1);
    if (!retryable(outcome.kind) || pinned) {  // the request's own fault: the client sees the upstream answer
      res.status = reply.status == 0 ? 502 : reply.status;
      set_quotaguard_headers(res, g);
      if (reply.status == 0) return send_dialect_error(res, call.dialect, 502, "Upstream failed (" + reply.detail + ").", "upstream_error");
      return relay_upstream_reply(res, reply);
    }
    log.add(outcome);
    route.exclude.push_back(g.account_id);
  }
  respond_unserved(res, svc, call.dialect, log, nullptr, pr.model);
}

httplib::Server::Handler instrumented(std::shared_ptr<ProxyService> svc, std::string label, ProxyHandler handler) {
  return [svc = std::move(svc), label = std::move(label), handler = std::move(handler)](const httplib::Request& req,
                                                                                       httplib::Response& res) {
    InflightRequest inflight;  // graceful shutdown waits for it (a stream holds its own)
    const auto started = std::chrono::steady_clock::now();
    AccessLogEntry access;
    access.started = started;
    access.request_id = request_id_of(res);
    access.method = req.method;
    access.path = req.path;
    handler(*svc, req, res, access);
    if (access.status != -1) {  // -1: a stream took the line over
      access.status = res.status;
      write_access_log(access);
    }
    // quotaguard_requests_total{account, model, status}; model = the one sent upstream, bounded.
    metrics::requests_total()
        .with({reply_header(res, "x-quotaguard-account"), metrics::model_label(reply_header(res, "x-quotaguard-model")),
               std::to_string(res.status)})
        .inc();
    metrics::request_duration_seconds().with({label}).observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
}

void register_proxy_routes(httplib::Server& server, std::shared_ptr<ProxyBackend> backend, ProxyOptions options) {
  UpstreamTimeouts timeouts{options.connect_timeout_ms, options.first_byte_timeout_ms, options.idle_timeout_ms,
                            options.request_timeout_ms, options.max_response_bytes, options.request_timeout_ms};
  auto responses = std::make_shared<ResponseAffinity>(ResponseAffinityOptions{options.responses_path}, system_clock_ms());
  auto svc = std::make_shared<ProxyService>(
      ProxyService{std::move(backend), options,
                   options.auth ? options.auth : std::make_shared<ClientAuth>(options.api_keys), timeouts,
                   std::move(responses)});
  auto route = [svc](ApiEndpoint e) {
    return instrumented(svc, std::string("/v1") + endpoint_path(e),
                        [e](ProxyService& s, const httplib::Request& req, httplib::Response& res,
                            AccessLogEntry& access) { chat_request(s, e, req, res, access); });
  };
  // Bodies read with the bound, chunked ones too (http/bounded_body.hpp).
  post_bounded(server, "/v1/chat/completions", options.max_body_bytes, route(ApiEndpoint::chat_completions));
  post_bounded(server, "/v1/completions", options.max_body_bytes, route(ApiEndpoint::completions));
  post_bounded(server, "/v1/embeddings", options.max_body_bytes, route(ApiEndpoint::embeddings));
  server.Get("/v1/models", [svc](const httplib::Request& req, httplib::Response& res) { list_models(*svc, req, res); });
  register_dialect_routes(server, svc);
}

}  // namespace qg
