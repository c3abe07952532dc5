// http/dialect_routes.cpp — the Anthropic Messages, OpenAI Responses and Gemini routes.
//
// Each handler authenticates, parses (http/dialect_request) and hands a ProxyCall to
// proxy_call() (http/proxy_call.hpp), which runs the lifecycle shared with chat. Errors
// QuotaGuard answers itself are in the route's dialect. Specific to a dialect:
//   messages   `?beta=true` and other query parameters are forwarded; `anthropic-version` and
//              `anthropic-beta` pass through; count_tokens is routed but not reserved.
//   responses  a response's account is remembered (http/response_affinity); a request with a
//              known `previous_response_id` is pinned to that account, and GET/DELETE
//              /v1/responses/{id}, /cancel and /input_items go to it (404 when QuotaGuard did
//              not relay that response or forgot it). An account that keeps no responses
//              (CLIProxyAPI, messages/dialect.hpp keeps_responses) answers neither: 400 / 404
//              saying so, instead of a reply without the conversation's past.
//   gemini     the model is the URL segment before ':' and may be `<prefix>/<model>`; the
//              client key may come as ?key=, which is never forwarded.
#include "http/bounded_body.hpp"
#include "http/dialect_errors.hpp"
#include "http/dialect_request.hpp"
#include "http/proxy_call.hpp"
#include "messages/wall_clock.hpp"

#include <algorithm>

namespace qg {
namespace {

// Auth, size bound and parse shared by the POST routes; nullopt when an error was answered.
std::optional<ProxyCall> prepare(ProxyService& svc, Dialect dialect, const httplib::Request& req,
                                 httplib::Response& res) {
  auto key_id = authenticate(*svc.auth, req);
  if (!key_id) {
    send_dialect_error(res, dialect, 401, "Invalid API key.", "invalid_api_key");
    return std::nullopt;
  }
  if (req.body.size() > svc.options.max_body_bytes) {
    send_dialect_error(res, dialect, 413, "Request body exceeds " + std::to_string(svc.options.max_body_bytes) + " bytes.",
                       "request_too_large");
    return std::nullopt;
  }
  auto parsed = parse_dialect_request(dialect, req.body);
  if (!parsed.request) {
    send_dialect_error(res, dialect, 400, parsed.error, "invalid_request_error", parsed.param);
    return std::nullopt;
  }
  ProxyCall call;
  call.dialect = dialect;
  call.client_key_id = *key_id;
  call.request = std::move(parsed.request->base);
  call.query = forwarded_query(req);
  if (dialect == Dialect::responses && !parsed.request->previous_response_id.empty() && svc.responses)
    call.pin_account = svc.responses->account_of(parsed.request->previous_response_id, system_clock_ms()).value_or("");
  if (!call.pin_account.empty()) {
    const RouteGrant holder = svc.backend->account_target(call.pin_account);
    if (holder.ok && !keeps_responses(holder.provider)) {
      send_dialect_error(res, dialect, 400,
                         "Response '" + parsed.request->previous_response_id + "' was created on account " +
                             call.pin_account + " (" + holder.provider +
                             "), which keeps no responses: it would answer without the conversation so far. "
                             "Send the whole conversation as input instead of previous_response_id.",
                         "previous_response_not_stored", "previous_response_id");
      return std::nullopt;
    }
  }
  return call;
}

void messages(ProxyService& svc, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access,
              bool count_tokens) {
  access.dialect = "anthropic";
  auto call = prepare(svc, Dialect::messages, req, res);
  if (!call) return;
  call->endpoint = count_tokens ? "/messages/count_tokens" : "/messages";
  for (const char* h : {"anthropic-version", "anthropic-beta"})
    if (req.has_header(h)) call->pass_headers.emplace_back(h, req.get_header_value(h));
  if (count_tokens) {
    call->reserve = false;
    call->request.stream = false;
    call->request.max_tokens = -1;
  }
  proxy_call(svc, *call, req, res, access);
}

void responses_create(ProxyService& svc, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access) {
  access.dialect = "responses";
  auto call = prepare(svc, Dialect::responses, req, res);
  if (!call) return;
  call->endpoint = "/responses";
  proxy_call(svc, *call, req, res, access);
}

// GET|DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel, GET .../input_items: to the
// account that created the response, no reservation.
void response_resource(ProxyService& svc, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access,
                       const std::string& suffix) {
  access.dialect = "responses";
  if (!authenticate(*svc.auth, req)) {
    return send_dialect_error(res, Dialect::responses, 401, "Incorrect API key provided.", "invalid_api_key");
  }
  const std::string id = req.matches[1];
  std::optional<std::string> account =
      svc.responses && ResponseAffinity::storable(id) ? svc.responses->account_of(id, system_clock_ms()) : std::nullopt;
  if (!account) {
    return send_dialect_error(res, Dialect::responses, 404,
                              "No response with id '" + id + "' was created through QuotaGuard (or it has expired).",
                              "response_not_found");
  }
  RouteGrant g = svc.backend->account_target(*account);
  if (!g.ok) {
    return send_dialect_error(res, Dialect::responses, 503,
                              "Response '" + id + "' is held by account " + *account + ", which is not available.",
                              "account_unavailable");
  }
  if (!keeps_responses(g.provider)) {
    res.set_header("x-quotaguard-account", g.account_id);
    return send_dialect_error(res, Dialect::responses, 404,
                              "Response '" + id + "' was created on account " + *account + " (" + g.provider +
                                  "), which keeps no responses (CLIProxyAPI serves only POST /v1/responses).",
                              "response_not_stored");
  }
  UpstreamTarget t = make_upstream_target(g.base_url, "/responses/" + id + suffix, g.provider, g.api_key);
  t.method = req.method;
  t.path += forwarded_query(req);
  UpstreamReply reply = t.scheme_host_port.empty() ? UpstreamReply{} : call_upstream_plain(t, req.body, svc.timeouts);
  res.set_header("x-quotaguard-account", g.account_id);
  if (reply.status == 0) {
    return send_dialect_error(res, Dialect::responses, 502, "Upstream failed (" + reply.detail + ").", "upstream_error");
  }
  if (req.method == "DELETE" && reply.status >= 200 && reply.status < 300) svc.responses->forget(id);
  relay_upstream_reply(res, reply);
}

void gemini(ProxyService& svc, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access) {
  access.dialect = "gemini";
  std::string model, action;
  if (!split_gemini_target(std::string(req.matches[1]), model, action) ||
      (action != "generateContent" && action != "streamGenerateContent" && action != "countTokens")) {
    return send_dialect_error(res, Dialect::gemini, 404,
                              "Method not found: expected /v1beta/models/{model}:generateContent, "
                              ":streamGenerateContent or :countTokens.",
                              "not_found");
  }
  auto call = prepare(svc, Dialect::gemini, req, res);
  if (!call) return;
  if (model.size() > kMaxModelNameBytes)  // the same bound as a model in a body (item 9)
    return send_dialect_error(res, Dialect::gemini, 400,
                              "The model name must be at most " + std::to_string(kMaxModelNameBytes) + " bytes.",
                              "invalid_request_error", "model");
  if (!gemini_model_path_ok(model))  // it goes into the upstream request line as it is
    return send_dialect_error(res, Dialect::gemini, 400,
                              "The model name may only hold letters, digits and - . _ ~ @ : + /, without an empty, "
                              "'.' or '..' segment.",
                              "invalid_request_error", "model");
  call->endpoint = action;
  call->model_in_body = false;
  call->request.model = model;
  // streamGenerateContent without alt=sse answers one JSON array: relayed like a plain reply.
  call->request.stream = action == "streamGenerateContent" && req.get_param_value("alt") == "sse";
  if (action == "countTokens") {
    call->reserve = false;
    call->request.max_tokens = -1;
  }
  proxy_call(svc, *call, req, res, access);
}

void gemini_models(ProxyService& svc, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access) {
  access.dialect = "gemini";
  if (!authenticate(*svc.auth, req))
    return send_dialect_error(res, Dialect::gemini, 401, "API key not valid.", "invalid_api_key");
  auto models = svc.backend->models();
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
  std::string out = "{\"models\":[";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i) out += ',';
    out += "{\"name\":" + json_quote("models/" + models[i]) + ",\"displayName\":" + json_quote(models[i]) +
           ",\"supportedGenerationMethods\":[\"generateContent\",\"streamGenerateContent\",\"countTokens\"]}";
  }
  out += "]}";
  res.set_content(out, "application/json");
}

// The registrations, each with the route's label for metrics and docs ("/v1/responses/{id}").
struct DialectRoutes {
  httplib::Server& server;
  std::shared_ptr<ProxyService> svc;
  void get(const std::string& pattern, const char* label, ProxyHandler h) { server.Get(pattern, instrumented(svc, label, std::move(h))); }
  // Bodies read with the bound, chunked ones too (http/bounded_body.hpp).
  void post(const std::string& pattern, const char* label, ProxyHandler h) {
    post_bounded(server, pattern, svc->options.max_body_bytes, instrumented(svc, label, std::move(h)));
  }
  void del(const std::string& pattern, const char* label, ProxyHandler h) { server.Delete(pattern, instrumented(svc, label, std::move(h))); }
};

ProxyHandler resource(const char* suffix) {
  return [suffix](ProxyService& s, const httplib::Request& req, httplib::Response& res, AccessLogEntry& access) {
    response_resource(s, req, res, access, suffix);
  };
}

}  // namespace

void register_dialect_routes(httplib::Server& server, std::shared_ptr<ProxyService> svc) {
  DialectRoutes routes{server, svc};
  routes.post("/v1/messages", "/v1/messages", [](auto& s, const auto& req, auto& res, auto& access) {
    messages(s, req, res, access, false);
  });
  routes.post("/v1/messages/count_tokens", "/v1/messages/count_tokens", [](auto& s, const auto& req, auto& res, auto& access) {
    messages(s, req, res, access, true);
  });
  routes.post("/v1/responses", "/v1/responses", responses_create);
  routes.get(R"(/v1/responses/([A-Za-z0-9_.:-]{1,256}))", "/v1/responses/{id}", resource(""));
  routes.del(R"(/v1/responses/([A-Za-z0-9_.:-]{1,256}))", "/v1/responses/{id}", resource(""));
  routes.post(R"(/v1/responses/([A-Za-z0-9_.:-]{1,256})/cancel)", "/v1/responses/{id}/cancel", resource("/cancel"));
  routes.get(R"(/v1/responses/([A-Za-z0-9_.:-]{1,256})/input_items)", "/v1/responses/{id}/input_items", resource("/input_items"));
  routes.post(R"(/v1beta/models/(.+:generateContent))", "/v1beta/models/{model}:generateContent", gemini);
  routes.post(R"(/v1beta/models/(.+:streamGenerateContent))", "/v1beta/models/{model}:streamGenerateContent", gemini);
  routes.post(R"(/v1beta/models/(.+:countTokens))", "/v1beta/models/{model}:countTokens", gemini);
  routes.get("/v1beta/models", "/v1beta/models", gemini_models);
  // Any other Gemini method: a Google-shaped 404 (gemini() answers it).
  post_bounded(server, R"(/v1beta/models/(.+))", svc->options.max_body_bytes,
               instrumented(svc, "/v1beta/models/{model}:other", gemini));
}

}  // namespace qg
