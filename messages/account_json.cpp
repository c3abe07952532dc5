// messages/account_json.cpp — see account_json.hpp.
#include "messages/account_json.hpp"

#include "messages/civil_time.hpp"
#include "messages/forecast_json.hpp"
#include "messages/json_fields.hpp"
#include "messages/window_label.hpp"

#include <nlohmann/json.hpp>

namespace qg {

using nlohmann::json;

namespace {

json time_or_null(TimeMs t) { return t > 0 ? json(format_utc_ms(t)) : json(nullptr); }

}  // namespace

json window_view_json(const WindowView& w, TimeMs at) {
  const auto remaining = w.remaining();
  json out = {{"metric", to_string(w.metric)}, {"window", window_label(w.window_s)},
              {"limit", w.limit}, {"used", w.used}, {"reserved", w.reserved},
              {"remaining", remaining ? json(*remaining) : json(nullptr)},
              {"reset_at", time_or_null(w.reset_at)}, {"source", to_string(w.source)}};
  if (w.forecast) out["forecast"] = window_forecast_json(*w.forecast, at);
  return out;
}

json counters_view_json(const AccountCountersView& c) {
  return {{"created", c.created}, {"committed", c.committed}, {"released", c.released},
          {"expired", c.expired}, {"committed_usage", json_fields::usage_to_json(c.committed_usage)}};
}

json account_view_json(const AccountView& a) {
  json windows = json::array();
  for (const auto& w : a.windows) windows.push_back(window_view_json(w, a.at));
  json out = {{"id", a.id}, {"provider", a.provider}, {"type", a.type}, {"email", a.email},
          {"prefix", a.prefix}, {"origin", a.origin}, {"priority", a.priority},
          {"models", a.models}, {"enabled", a.enabled}, {"removed", a.removed},
          {"state", a.state}, {"used_percent", a.used_percent},
          {"cooldown_until", time_or_null(a.cooldown_until)},
          {"cooldown_reason", a.cooldown_reason}, {"cooldown_detail", a.cooldown_detail},
          {"in_flight", a.in_flight}, {"windows", std::move(windows)},
          {"counters", counters_view_json(a.counters)}};
  if (!a.auth_dir.empty()) out["auth_dir"] = a.auth_dir;  // CLIProxyAPI: the folder it came from
  if (!a.registered_by.empty()) out["registered_by"] = a.registered_by;  // shared logs: which node
  return out;
}

json accounts_view_json(const std::vector<AccountView>& accounts) {
  json list = json::array();
  for (const auto& a : accounts) list.push_back(account_view_json(a));
  return {{"accounts", std::move(list)}};
}

}  // namespace qg
