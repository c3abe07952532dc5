// messages/forecast_json.cpp — see forecast_json.hpp.
#include "messages/forecast_json.hpp"

#include "messages/civil_time.hpp"
#include "messages/window_label.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace qg {

using nlohmann::json;

namespace {

json time_or_null(TimeMs t) { return t > 0 ? json(format_utc_ms(t)) : json(nullptr); }
json seconds_until(TimeMs t, TimeMs at) { return t > 0 ? json((t - at) / 1000) : json(nullptr); }
template <class T>
json optional_json(const std::optional<T>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json window_forecast_json(const WindowForecast& w, TimeMs at) {
  return {{"verdict", to_string(w.verdict)},
          {"exhausts_at", time_or_null(w.exhausts_at)},
          {"short_by_s", w.short_by_ms > 0 ? json(w.short_by_ms / 1000) : json(nullptr)},
          {"unused_at_reset", optional_json(w.unused_at_reset)},
          {"rate_per_hour", w.rate_per_s * 3600.0},
          {"critical_at", time_or_null(w.critical_at)},
          {"exhaustion_s", seconds_until(w.exhausts_at, at)}};
}

json forecast_to_json(const ForecastView& v) {
  json accounts = json::array();
  for (const auto& a : v.accounts) {
    json windows = json::array();
    for (const auto& w : a.windows) {
      json unused_ratio = w.unused_at_reset && w.limit > 0
                              ? json(static_cast<double>(*w.unused_at_reset) / static_cast<double>(w.limit))
                              : json(nullptr);
      windows.push_back({{"metric", to_string(w.metric)}, {"window", window_label(w.window_s)},
                         {"window_s", w.window_s}, {"limit", w.limit}, {"used", w.used},
                         {"used_percent", w.used_percent}, {"reset_at", time_or_null(w.reset_at)},
                         {"rate_per_s", w.rate_per_s}, {"rate_per_hour", w.rate_per_s * 3600.0},
                         {"verdict", to_string(w.verdict)}, {"exhausts_at", time_or_null(w.exhausts_at)},
                         {"exhaustion_s", seconds_until(w.exhausts_at, v.at)},
                         {"short_by_s", w.short_by_ms > 0 ? json(w.short_by_ms / 1000) : json(nullptr)},
                         {"projected_at_reset", optional_json(w.projected_at_reset)},
                         {"unused_at_reset", optional_json(w.unused_at_reset)},
                         {"unused_ratio", std::move(unused_ratio)},
                         {"critical_at", time_or_null(w.critical_at)}});
    }
    accounts.push_back({{"id", a.id}, {"state", a.state}, {"critical_at", time_or_null(a.critical_at)},
                        {"recovers_at", time_or_null(a.recovers_at)}, {"windows", std::move(windows)}});
  }
  json pools = json::array();
  for (const auto& p : v.pools) {
    json members = json::array();
    for (const auto& m : p.accounts)
      members.push_back({{"id", m.id}, {"critical_at", time_or_null(m.critical_at)},
                         {"recovers_at", time_or_null(m.recovers_at)}});
    pools.push_back({{"model", p.model}, {"chain", p.chain}, {"accounts", std::move(members)},
                     {"dry_at", time_or_null(p.dry_at)}, {"dry_in_s", seconds_until(p.dry_at, v.at)},
                     {"dry_until", time_or_null(p.dry_until)}});
  }
  return {{"at", time_or_null(v.at)},
          {"half_life_s", v.half_life_ms / 1000},
          {"critical_percent", v.critical_percent},
          {"accounts", std::move(accounts)},
          {"pools", std::move(pools)}};
}

void attach_window_forecasts(json& accounts, const ForecastView& v) {
  for (auto& a : accounts) {
    if (!a.is_object() || !a.contains("windows") || !a["id"].is_string()) continue;
    const std::string id = a["id"].get<std::string>();
    const AccountForecast* f = nullptr;
    for (const auto& candidate : v.accounts)
      if (candidate.id == id) f = &candidate;
    if (!f) continue;
    std::vector<bool> used(f->windows.size(), false);  // a config and an observed window may share a label
    for (auto& w : a["windows"]) {
      for (std::size_t i = 0; i < f->windows.size(); ++i) {
        const auto& wf = f->windows[i];
        if (!used[i] && w.value("metric", "") == to_string(wf.metric) &&
            w.value("window", "") == window_label(wf.window_s) && w.value("limit", json(0)) == json(wf.limit)) {
          used[i] = true;
          w["forecast"] = window_forecast_json(wf, v.at);
          break;
        }
      }
    }
  }
}

}  // namespace qg
