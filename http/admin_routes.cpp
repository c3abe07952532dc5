// http/admin_routes.cpp — see admin_routes.hpp.
#include "http/admin_routes.hpp"

#include "http/activity_json.hpp"
#include "messages/account_json.hpp"
#include "messages/status_json.hpp"
#include "messages/reservation_json.hpp"
#include "messages/forecast_json.hpp"
#include "messages/settings_json.hpp"
#include "messages/event_codec.hpp"
#include "http/api_support.hpp"
#include "http/request_parser.hpp"
#include "http/route_explanation_json.hpp"

#include <httplib.h>

#include <charconv>
#include <limits>

namespace qg {

namespace {

constexpr const char* kActor = "admin";
constexpr std::size_t kDefaultEventLimit = 100;
constexpr std::size_t kMaxEventLimit = 10000;
constexpr std::uint64_t kMaxActivityHours = kActivityHorizonMs / 3'600'000;
constexpr std::uint64_t kActivityStepMinutes = kActivityStepMs / 60'000;
constexpr std::uint64_t kMaxBucketMinutes = kActivityMaxBucketMs / 60'000;

constexpr std::uint64_t kAnyUint = std::numeric_limits<std::uint64_t>::max();  // the route checks the range
// Event seqs are SQLite int64 values; one past the largest must still be representable.
constexpr std::uint64_t kMaxSeq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - 1;

// An integer query parameter in [lo, hi], `fallback` when absent; BadField naming the range
// otherwise (a sign, a fraction, trailing text, a repeated parameter or overflow included).
std::uint64_t query_uint(const httplib::Request& req, const char* name, std::uint64_t fallback, std::uint64_t lo,
                         std::uint64_t hi) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi ||
      req.get_param_value_count(name) > 1)
    throw BadField(std::string(name) + ": must be one integer between " + std::to_string(lo) + " and " +
                   std::to_string(hi));
  return value;
}

void send_setting(httplib::Response& res, const OpAnswer<SettingView>& a) {
  if (!a.ok()) return send_failure(res, *a.failure);
  send_json(res, 200, setting_body(a.value));
}

void register_setting(ApiRoutes& routes, Operations& ops, const std::string& key) {
  const std::string path = "/api/v1/" + key;
  routes.get(path, path, [&ops, key](const httplib::Request&, httplib::Response& res) {
    send_setting(res, ops.get_setting(key));
  });
  routes.put(path, path, [&ops, key](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_json_object(req, res, false);
    if (!body) return;
    send_setting(res, ops.put_setting(key, *body, kActor));
  });
}

using AccountVerb = OpAnswer<AccountCommandView> (Operations::*)(const std::string&, const Requester&);

void register_account_verb(ApiRoutes& routes, Operations& ops, const std::string& name,
                           AccountVerb verb) {
  routes.post(R"(/api/v1/accounts/([^/]+)/)" + name, "/api/v1/accounts/{id}/" + name,
              [&ops, verb](const httplib::Request& req, httplib::Response& res) {
                const auto done = (ops.*verb)(req.matches[1].str(), kActor);
                if (!done.ok()) return send_failure(res, *done.failure);
                nlohmann::json body = account_view_json(done.value.account);
                if (!done.value.note.empty()) body["note"] = done.value.note;  // a no-op: "already draining", ...
                send_json(res, 200, body);
              });
}

// An auth folder verb's answer: the event log refused some of its account events (`errors`)
// -> 503 unavailable with the body; the rest of the scan stands.
template <class View>
void send_folder_answer(httplib::Response& res, const OpAnswer<View>& a, nlohmann::json (*to_json)(const View&)) {
  if (!a.ok()) return send_failure(res, *a.failure);
  if (a.value.errors.empty()) return send_json(res, 200, to_json(a.value));
  send_error(res, 503, "unavailable", a.value.errors.front(), to_json(a.value));
}

// {"events":[<replay --json line>...],"next_after":N}: each event through the one codec.
std::string events_page_json(const EventPage& page) {
  std::string body = "{\"events\":[";
  for (const auto& e : page.events) {
    if (body.back() != '[') body += ',';
    body += event_to_json_line(e);
  }
  body += "],\"next_after\":" + std::to_string(page.next_after) + "}";
  return body;
}

}  // namespace

nlohmann::json setting_body(const SettingView& v) {
  nlohmann::json value = v.settings ? setting_json(*v.settings, v.setting->router_key) : nlohmann::json(nullptr);
  if (v.setting->field.empty()) return value;
  return {{std::string(v.setting->field), std::move(value)}};
}

void register_admin_routes(httplib::Server& server, Operations& ops,
                           const AdminRouteOptions& options) {
  ApiRoutes routes(server, ApiAuth{options.admin_token, false}, options.max_body_bytes);

  routes.get("/api/v1/status", "/api/v1/status",
             [&ops](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, status_view_json(ops.status()));
             });
  routes.get("/api/v1/accounts", "/api/v1/accounts",
             [&ops](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, accounts_view_json(ops.accounts()));
             });
  routes.get(R"(/api/v1/accounts/([^/]+))", "/api/v1/accounts/{id}",
             [&ops](const httplib::Request& req, httplib::Response& res) {
               const auto a = ops.account(req.matches[1].str());
               if (!a.ok()) return send_failure(res, *a.failure);
               send_json(res, 200, account_view_json(a.value));
             });
  register_account_verb(routes, ops, "drain", &Operations::drain);
  register_account_verb(routes, ops, "resume", &Operations::resume);
  register_account_verb(routes, ops, "reset-cooldown", &Operations::reset_cooldown);

  routes.get("/api/v1/reservations", "/api/v1/reservations",
             [&ops](const httplib::Request&, httplib::Response& res) {
               nlohmann::json list = nlohmann::json::array();
               for (const auto& r : ops.reservations()) {
                 nlohmann::json j = reservation_view_json(r);
                 j["account"] = r.account;
                 list.push_back(std::move(j));
               }
               send_json(res, 200, {{"reservations", std::move(list)}});
             });

  for (const char* key : {"thresholds", "policy", "fallbacks"}) register_setting(routes, ops, key);

  routes.post("/api/v1/reload", "/api/v1/reload",
              [&ops](const httplib::Request&, httplib::Response& res) {
                const auto r = ops.reload(kActor);
                if (!r.ok()) return send_failure(res, *r.failure);
                send_json(res, 200, reload_view_json(r.value));
              });
  routes.post("/api/v1/import", "/api/v1/import",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req, res, true);
                if (!body) return;
                send_folder_answer(res, ops.import_accounts(opt_string(*body, "path").value_or(""), kActor),
                                   &import_view_json);
              });
  routes.get("/api/v1/import", "/api/v1/import",
             [&ops](const httplib::Request&, httplib::Response& res) {
               const auto folders = ops.auth_folders();
               if (!folders.ok()) return send_failure(res, *folders.failure);
               send_json(res, 200, auth_folders_view_json(folders.value));
             });
  routes.post("/api/v1/import/forget", "/api/v1/import/forget",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req, res, false);
                if (!body) return;
                send_folder_answer(res, ops.forget_folder(required_string(*body, "path"), kActor),
                                   &forget_folder_view_json);
              });
  routes.get("/api/v1/export", "/api/v1/export",
             [&ops](const httplib::Request&, httplib::Response& res) {
               res.status = 200;
               res.set_content(ops.export_yaml(), "text/yaml; charset=utf-8");
             });
  routes.get("/api/v1/events", "/api/v1/events",
             [&ops](const httplib::Request& req, httplib::Response& res) {
               const std::uint64_t after = query_uint(req, "after", 0, 0, kMaxSeq);
               const std::uint64_t limit = query_uint(req, "limit", kDefaultEventLimit, 1, kMaxEventLimit);
               const auto page = ops.events(after, static_cast<std::size_t>(limit));
               if (!page.ok()) return send_failure(res, *page.failure);
               res.status = 200;
               res.set_content(events_page_json(page.value), "application/json");
             });
  routes.get("/api/v1/activity", "/api/v1/activity",
             [&ops](const httplib::Request& req, httplib::Response& res) {
               const std::uint64_t hours = query_uint(req, "hours", kMaxActivityHours, 0, kAnyUint);
               if (hours == 0 || hours > kMaxActivityHours)
                 throw BadField("hours: must be between 1 and " + std::to_string(kMaxActivityHours));
               const std::uint64_t minutes = query_uint(req, "bucket_minutes", kMaxBucketMinutes, 0, kAnyUint);
               if (minutes == 0 || minutes > kMaxBucketMinutes || minutes % kActivityStepMinutes != 0)
                 throw BadField("bucket_minutes: must be a multiple of " +
                                std::to_string(kActivityStepMinutes) + " up to " +
                                std::to_string(kMaxBucketMinutes));
               const auto view = ops.activity(static_cast<TimeMs>(hours) * 3'600'000,
                                              static_cast<TimeMs>(minutes) * 60'000);
               send_json(res, 200, activity_to_json(view));
             });
  routes.get("/api/v1/forecast", "/api/v1/forecast",
             [&ops](const httplib::Request&, httplib::Response& res) {
               send_json(res, 200, forecast_to_json(ops.forecast()));
             });
  routes.get("/api/v1/route", "/api/v1/route",
             [&ops](const httplib::Request& req, httplib::Response& res) {
               const std::string model = req.get_param_value("model");
               if (model.empty()) throw BadField("model: required (GET /api/v1/route?model=M)");
               if (model.size() > kMaxModelNameBytes)
                 throw BadField("model: must be at most " + std::to_string(kMaxModelNameBytes) + " bytes");
               Dialect dialect = Dialect::chat;
               if (req.has_param("dialect")) {
                 auto d = parse_dialect(req.get_param_value("dialect"));
                 if (!d) throw BadField("dialect: one of chat|messages|responses|gemini");
                 dialect = *d;
               }
               const auto explained = ops.explain_route(model, req.get_param_value("client_key"), dialect);
               if (!explained.ok()) return send_failure(res, *explained.failure);
               send_json(res, 200, route_explanation_json(explained.value));
             });
}

}  // namespace qg
