// http/advisory_routes.cpp — see advisory_routes.hpp.
#include "http/advisory_routes.hpp"
#include "messages/wall_clock.hpp"

#include "http/advisory_mapping.hpp"
#include "http/api_support.hpp"
#include "messages/event_codec.hpp"
#include "messages/reservation_json.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace qg {

namespace {

constexpr const char* kActor = "advisory";

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Go's `provider` / `exclude_providers` filters, matched on our provider or type
// ("openai", "anthropic", "cliproxy", "codex", "claude", "gemini", ...).
std::vector<std::string> provider_exclusions(Operations& ops, const std::string& provider,
                                             const std::vector<std::string>& excluded) {
  std::vector<std::string> out;
  if (provider.empty() && excluded.empty()) return out;
  for (const auto& a : ops.accounts()) {
    const std::string& p = a.provider;
    const std::string& t = a.type;
    const bool wrong = !provider.empty() && p != provider && t != provider;
    if (wrong || contains(excluded, p) || (!t.empty() && contains(excluded, t))) out.push_back(a.id);
  }
  return out;
}

// Kind of failure from the Go feedback fields (and the optional status_code extension).
OutcomeKind feedback_kind(bool success, const std::string& error, int status_code) {
  if (success) return OutcomeKind::success;
  if (status_code == 429) return OutcomeKind::rate_limited;
  if (status_code == 401 || status_code == 403) return OutcomeKind::auth_error;
  std::string e = error;
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&](const char* s) { return e.find(s) != std::string::npos; };
  if (has("rate limit") || has("429") || has("too many requests")) return OutcomeKind::rate_limited;
  if (has("timeout") || has("deadline exceeded") || has("timed out")) return OutcomeKind::timeout;
  if (has("connection refused") || has("connection reset") || has("no such host") ||
      has("unreachable"))
    return OutcomeKind::connect_error;
  if (has("401") || has("403") || has("unauthorized") || has("forbidden"))
    return OutcomeKind::auth_error;
  return OutcomeKind::server_error;
}

// Go's answer for a grant: {"account_id","model","score","reason","alternative_ids",
// "reservation_id"?,"status"?,"expires_at"?}; a Selection also names the "provider" and, as Go
// does, omits an empty alternative_ids.
nlohmann::json go_grant(const RouteGrant& g, bool selection) {
  nlohmann::json j = {{"account_id", g.account_id}, {"model", g.model_used}, {"score", g.score}, {"reason", g.reason}};
  if (selection) j["provider"] = g.provider;
  if (!selection || !g.alternatives.empty()) j["alternative_ids"] = g.alternatives;
  if (!g.reservation_id.empty()) {
    j["reservation_id"] = g.reservation_id;
    j["status"] = "active";
    j["expires_at"] = g.expires_at > 0 ? nlohmann::json(format_iso8601_ms(g.expires_at)) : nlohmann::json(nullptr);
  }
  return j;
}

// The router found no account: its own status and code, with retry_after_s (and Retry-After).
void send_refusal(httplib::Response& res, const RouteGrant& g, int status) {
  nlohmann::json extra = nlohmann::json::object();
  if (g.retry_after_s > 0) extra["retry_after_s"] = g.retry_after_s;
  send_error(res, status, g.error_code.empty() ? "error" : g.error_code,
             g.error_message.empty() ? g.error_code : g.error_message, extra);
}

// A reservation and its account, for percent mapping.
struct ReservationContext {
  OpAnswer<ReservationView> reservation;
  OpAnswer<AccountView> account;  // an empty view when the reservation names no account
  // Sends the first failure; false when there was none.
  bool sent_failure(httplib::Response& res) const {
    const auto& failure = !reservation.ok() ? reservation.failure : account.failure;
    if (failure) send_failure(res, *failure);
    return failure.has_value();
  }
};

// A resolved reservation may no longer name its account: its percent mapping then has no
// windows, and resolving it answers 409 (already resolved).
ReservationContext reservation_context(Operations& ops, const std::string& id) {
  ReservationContext c;
  c.reservation = ops.reservation(id);
  if (!c.reservation.ok()) return c;
  if (!c.reservation.value.account.empty()) c.account = ops.account(c.reservation.value.account);
  return c;
}

// Usage from `<units_field>` (units) or `<percent_field>` (percent of the account's windows).
std::optional<Usage> usage_from(const nlohmann::json& body, const AccountView& account,
                                const std::string& units_field, const std::string& percent_field) {
  if (auto u = opt_usage(body, units_field)) return u;
  if (auto p = opt_number(body, percent_field)) return percent_to_usage(account, *p, percent_field);
  return std::nullopt;
}

// Go Reservation JSON: an open one with its estimate (units and percent of `account`), a
// resolved one with its id and status only.
nlohmann::json go_reservation(const ReservationView& r, const AccountView& account) {
  nlohmann::json out = {{"id", r.id}, {"account_id", r.account}, {"status", r.status}};
  if (!r.active()) return out;
  out.update(reservation_view_json(r));
  out["estimated_cost_percent"] = usage_to_percent(account, r.estimate);
  return out;
}

void select_route(Operations& ops, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_object(req, res, true);
  if (!body) return;
  const std::string model = opt_string(*body, "model").value_or("");
  auto exclude = opt_string_list(*body, "exclude_accounts");
  for (auto& id : provider_exclusions(ops, opt_string(*body, "provider").value_or(""),
                                      opt_string_list(*body, "exclude_providers")))
    exclude.push_back(id);
  opt_string(*body, "policy");              // accepted, global policy applies (COMPAT.md)
  opt_string_list(*body, "required_dimensions");
  opt_number(*body, "estimated_cost_percent");
  Usage estimate{1, 0, 0};
  if (auto tokens = opt_number_in(*body, "estimated_tokens", 0, 1e12)) {
    estimate.input_tokens = static_cast<std::int64_t>(std::llround(*tokens));
  }
  if (auto units = opt_usage(*body, "estimate")) estimate = *units;
  const bool reserve = opt_bool(*body, "reserve").value_or(false);
  const auto r = ops.select(model, exclude, reserve, estimate);
  if (!r.ok()) return send_failure(res, *r.failure);
  // Go answered 503 when nothing qualified; kept so Go clients branch the same way.
  if (!r.value.ok) return send_refusal(res, r.value, r.value.http_status == 429 ? 503 : r.value.http_status);
  send_json(res, 200, go_grant(r.value, true));
}

void feedback_route(Operations& ops, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_object(req, res, false);
  if (!body) return;
  const std::string account = required_string(*body, "account_id");
  // Only classified (feedback_kind), never stored or echoed: any length the body allows.
  const std::string error = opt_string(*body, "error", req.body.size()).value_or("");
  const bool success = opt_bool(*body, "success").value_or(error.empty());
  const int status_code = static_cast<int>(opt_number_in(*body, "status_code", 0, 999).value_or(0));
  const double retry_s = opt_number_in(*body, "retry_after_s", 0, 30 * 86400).value_or(0);
  const auto reservation_id = opt_string(*body, "reservation_id");

  // Validate the whole body before changing anything.
  const bool resolving = reservation_id && !reservation_id->empty();
  ReservationContext ctx;
  std::optional<Usage> actual;
  if (resolving) {
    ctx = reservation_context(ops, *reservation_id);
    if (ctx.sent_failure(res)) return;
    actual = usage_from(*body, ctx.account.value, "actual", "actual_cost_percent");
  }
  const auto fed = ops.feedback(account, feedback_kind(success, error, status_code),
                                static_cast<TimeMs>(std::max(0.0, retry_s) * 1000));
  if (!fed.ok()) return send_failure(res, *fed.failure);
  nlohmann::json reply = {{"status", "feedback recorded"}};
  if (resolving) {
    // A reported cost is committed; a success without one counts the estimate; a failure
    // without one releases the hold (COMPAT.md).
    const bool commit = actual.has_value() || success;
    if (commit && !actual) actual = ctx.reservation.value.estimate;
    const auto done = commit ? ops.resolve(*reservation_id, Resolution::commit, *actual)
                             : ops.resolve(*reservation_id, Resolution::release, Usage{});
    if (!done.ok()) return send_failure(res, *done.failure);
    reply["reservation_status"] = commit ? "committed" : "released";
  }
  send_json(res, 200, reply);
}

}  // namespace

void register_advisory_routes(httplib::Server& server, Operations& ops,
                              const AdvisoryRouteOptions& options) {
  ApiRoutes routes(server, ApiAuth{options.admin_token, true}, options.max_body_bytes);
  const auto now = options.now ? options.now : std::function<TimeMs()>(system_clock_ms);

  routes.post("/router/select", "/router/select",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                select_route(ops, req, res);
              });
  routes.post("/router/feedback", "/router/feedback",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                feedback_route(ops, req, res);
              });
  routes.get("/router/distribution", "/router/distribution",
             [&ops](const httplib::Request&, httplib::Response& res) {
               nlohmann::json shares = nlohmann::json::object();
               for (const auto& [id, percent] : ops.distribution()) shares[id] = percent;
               send_json(res, 200, shares);
             });
  routes.get("/quotas", "/quotas", [&ops, now](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    const TimeMs t = now();
    for (const auto& a : ops.accounts()) out.push_back(quota_info(a, t));
    std::sort(out.begin(), out.end(), [](const nlohmann::json& x, const nlohmann::json& y) {
      return x["account_id"].get<std::string>() < y["account_id"].get<std::string>();
    });
    send_json(res, 200, out);
  });
  routes.get(R"(/quotas/([^/]+))", "/quotas/{id}",
             [&ops, now](const httplib::Request& req, httplib::Response& res) {
               const auto a = ops.account(req.matches[1].str());
               if (!a.ok()) return send_failure(res, *a.failure);
               send_json(res, 200, quota_info(a.value, now()));
             });
  routes.post("/ingest", "/ingest", [&ops](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_json_object(req, res, false);
    if (!body) return;
    const std::string id = required_string(*body, "account_id");
    opt_string(*body, "provider");
    const bool throttled = opt_bool(*body, "is_throttled").value_or(false);
    const auto a = ops.account(id);
    if (!a.ok()) return send_failure(res, *a.failure);
    const QuotaObserved q = observation_from_ingest(*body, a.value);
    const auto observed = ops.observe(id, q, kActor);
    if (!observed.ok()) return send_failure(res, *observed.failure);
    if (throttled) {
      const auto fed = ops.feedback(id, OutcomeKind::rate_limited, 0);
      if (!fed.ok()) return send_failure(res, *fed.failure);
    }
    send_json(res, 200, {{"status", "ingested"}});
  });
  routes.post("/reservations", "/reservations",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req, res, false);
                if (!body) return;
                const std::string id = required_string(*body, "account_id");
                const std::string model = opt_string(*body, "model").value_or("");
                const std::string correlation = opt_name(*body, "correlation_id").value_or("");  // echoed
                const double ttl_s = opt_number_in(*body, "ttl_s", 0, 7 * 86400).value_or(0);
                const auto a = ops.account(id);
                if (!a.ok()) return send_failure(res, *a.failure);
                const auto estimate =
                    usage_from(*body, a.value, "estimate", "estimated_cost_percent");
                if (!estimate) throw BadField("estimated_cost_percent: required (0 to 100)");
                const auto r = ops.reserve(id, model, *estimate, static_cast<TimeMs>(ttl_s * 1000));
                if (!r.ok()) return send_failure(res, *r.failure);
                if (!r.value.ok) return send_refusal(res, r.value, r.value.http_status);
                nlohmann::json grant = go_grant(r.value, false);
                if (!correlation.empty()) grant["correlation_id"] = correlation;
                send_json(res, 201, grant);
              });
  routes.get(R"(/reservations/([^/]+))", "/reservations/{id}",
             [&ops](const httplib::Request& req, httplib::Response& res) {
               const ReservationContext ctx = reservation_context(ops, req.matches[1].str());
               if (!ctx.reservation.ok()) return send_failure(res, *ctx.reservation.failure);
               send_json(res, 200, go_reservation(ctx.reservation.value,
                                                  ctx.account.ok() ? ctx.account.value : AccountView{}));
             });
  routes.post(R"(/reservations/([^/]+)/release)", "/reservations/{id}/release",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req, res, false);
                if (!body) return;
                const std::string id = req.matches[1].str();
                const ReservationContext ctx = reservation_context(ops, id);
                if (ctx.sent_failure(res)) return;
                const auto actual =
                    usage_from(*body, ctx.account.value, "actual", "actual_cost_percent");
                if (!actual) throw BadField("actual_cost_percent: required (0 to 100)");
                const auto r = ops.resolve(id, Resolution::commit, *actual);
                if (!r.ok()) return send_failure(res, *r.failure);
                send_json(res, 200, {{"status", "released"}});
              });
  routes.post(R"(/reservations/([^/]+)/cancel)", "/reservations/{id}/cancel",
              [&ops](const httplib::Request& req, httplib::Response& res) {
                const auto r = ops.resolve(req.matches[1].str(), Resolution::cancel, Usage{});
                if (!r.ok()) return send_failure(res, *r.failure);
                send_json(res, 200, {{"status", "cancelled"}});
              });
}

}  // namespace qg
