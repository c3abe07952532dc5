// actors/router/route_explain.cpp — JSON and text renderings of a routing decision.
#include "actors/router/route_explain.hpp"
#include "messages/window_label.hpp"

#include "messages/event_codec.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace qg {

using nlohmann::json;

namespace {

constexpr std::int64_t kUnknownRetryAfterS = 60;

// Rounds to `decimals` places (dividing gives the double nearest the decimal value).
double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

json time_or_null(TimeMs t) { return t > 0 ? json(format_iso8601_ms(t)) : json(nullptr); }

json windows_json(const AccountSummary& a, TimeMs now) {
  json out = json::array();
  for (const auto& w : a.windows) {
    // the `paced` projection: used + reserved + burn rate x time to reset
    double projected = static_cast<double>(w.used_at(now) + w.reserved);
    if (w.reset_at > now) projected += w.burn_per_ms * static_cast<double>(w.reset_at - now);
    out.push_back({{"metric", to_string(w.metric)}, {"window", window_label(w.window_s)},
                   {"limit", w.limit}, {"used", w.used_at(now)}, {"reserved", w.reserved},
                   {"remaining", w.limit > 0 ? json(w.remaining_at(now)) : json(nullptr)},
                   {"used_percent", round_to(w.used_percent_at(now), 1)},
                   {"reset_at", time_or_null(w.reset_at)}, {"source", to_string(w.source)},
                   {"rate_per_hour", round_to(w.burn_per_ms * 3'600'000.0, 2)},
                   {"projected_at_reset", w.reset_at > now ? json(round_to(projected, 1)) : json(nullptr)}});
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::int64_t retry_after_seconds(const RouteDecision& d, TimeMs now) {
  if (d.retry_at <= now) return kUnknownRetryAfterS;
  return std::max<std::int64_t>(1, (d.retry_at - now + 999) / 1000);
}

json explain_json(const RouteDecision& d, const RouterView& view, const RouterSettings& settings, TimeMs now) {
  json candidates = json::array();
  for (const auto& c : d.candidates) {
    const AccountSummary* a = view.find(c.account);
    candidates.push_back({{"account", c.account}, {"model", c.model}, {"score", round_to(c.score, 2)},
                          {"priority", c.priority},
                          {"used_percent_after", round_to(c.used_percent_after, 1)},
                          {"zone", c.zone}, {"probe", c.probe},
                          {"windows", a ? windows_json(*a, now) : json::array()}});
  }
  json excluded = json::array();
  for (const auto& e : d.excluded)
    excluded.push_back({{"account", e.account}, {"model", e.model}, {"reason", e.reason}, {"detail", e.detail}});
  json sw = nullptr;
  if (d.switched) {
    json scores = json::object();
    for (const auto& [id, s] : d.switched->scores) scores[id] = round_to(s, 2);
    sw = {{"from", d.switched->from}, {"to", d.switched->to}, {"reason", d.switched->reason},
          {"scores", scores}};
  }
  json error = nullptr;
  if (d.error != RouteError::none)
    error = {{"kind", to_string(d.error)}, {"message", d.message}, {"retry_at", time_or_null(d.retry_at)},
             {"retry_after_s", retry_after_seconds(d, now)}};
  return {{"model", d.model_asked}, {"model_used", d.ok() ? json(d.model_used) : json(nullptr)},
          {"fallback", d.fallback}, {"route_key", d.route_key}, {"policy", to_string(d.policy)},
          {"mode", d.drain ? "drain" : "normal"}, {"at", format_iso8601_ms(now)},
          {"chosen", d.ok() ? json(d.chosen()) : json(nullptr)}, {"targets", d.targets},
          {"sticky", d.sticky ? json{{"account", d.sticky->account}, {"since", time_or_null(d.sticky->since)}}
                              : json(nullptr)},
          {"switch", sw},
          {"thresholds", {{"warning", settings.thresholds.warning}, {"switch", settings.thresholds.switch_at},
                          {"critical", settings.thresholds.critical},
                          {"hysteresis", settings.anti_flapping.hysteresis}}},
          {"candidates", candidates}, {"excluded", excluded}, {"error", error}};
}

namespace {

std::string str_or(const json& j, const char* key, const char* fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
}

std::string number_text(const json& j, const char* key, int decimals) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? fixed(it->get<double>(), decimals) : std::string("?");
}

}  // namespace

std::string explain_text(const json& x) {
  if (!x.is_object()) return "unexpected answer: " + x.dump() + "\n";
  const json& t = x.contains("thresholds") ? x["thresholds"] : json::object();
  std::string out = "model " + str_or(x, "model", "?") + "  (policy " + str_or(x, "policy", "?") +
                    ", thresholds " + number_text(t, "warning", 0) + "/" + number_text(t, "switch", 0) + "/" +
                    number_text(t, "critical", 0) + ", at " + str_or(x, "at", "?") + ")\n";
  const json& error = x.contains("error") ? x["error"] : json();
  if (error.is_object()) {
    out += "no account: " + str_or(error, "kind", "?") + " - " + str_or(error, "message", "") + "\n";
    if (error.contains("retry_at") && error["retry_at"].is_string())
      out += "earliest reset: " + error["retry_at"].get<std::string>() + "\n";
  } else {
    out += "chosen: " + str_or(x, "chosen", "?");
    if (x.value("fallback", false)) out += "  (fallback model " + str_or(x, "model_used", "?") + ")";
    if (str_or(x, "mode", "") == "drain") out += "  (drain: every account is past critical)";
    out += "\n";
    const json& sw = x.contains("switch") ? x["switch"] : json();
    const json& sticky = x.contains("sticky") ? x["sticky"] : json();
    if (sw.is_object())
      out += "switch: " + (str_or(sw, "from", "").empty() ? std::string("(none)") : str_or(sw, "from", "")) +
             " -> " + str_or(sw, "to", "?") + " (" + str_or(sw, "reason", "?") + ")\n";
    else if (sticky.is_object())
      out += "sticky: kept on " + str_or(sticky, "account", "?") + " since " + str_or(sticky, "since", "?") + "\n";
  }
  const json& candidates = x.contains("candidates") ? x["candidates"] : json::array();
  if (!candidates.empty()) out += "candidates (best first):\n";
  for (const auto& c : candidates) {
    out += "  " + str_or(c, "account", "?") + "  score " + number_text(c, "score", 2) + "  after " +
           number_text(c, "used_percent_after", 1) + "%  zone " + str_or(c, "zone", "?") +
           (c.value("probe", false) ? "  (probe)" : "") + "\n";
    for (const auto& w : c.contains("windows") ? c["windows"] : json::array()) {
      const std::string limit = w.contains("limit") && w["limit"].is_number() && w["limit"].get<double>() > 0
                                    ? number_text(w, "limit", 0) : std::string("?");
      out += "      " + str_or(w, "metric", "?") + "/" + str_or(w, "window", "?") + "  " +
             number_text(w, "used", 0) + " used + " + number_text(w, "reserved", 0) + " reserved of " + limit +
             "  resets " + str_or(w, "reset_at", "unknown");
      if (str_or(x, "policy", "") == "paced")  // what paced ranks by
        out += "  pace " + number_text(w, "rate_per_hour", 1) + "/h -> " +
               (w.contains("projected_at_reset") && w["projected_at_reset"].is_number()
                    ? number_text(w, "projected_at_reset", 0) : std::string("?")) + " at reset";
      out += "\n";
    }
  }
  const json& excluded = x.contains("excluded") ? x["excluded"] : json::array();
  if (!excluded.empty()) out += "excluded:\n";
  for (const auto& e : excluded)
    out += "  " + str_or(e, "account", "?") + "  [" + str_or(e, "model", "?") + "] " + str_or(e, "reason", "?") +
           ": " + str_or(e, "detail", "") + "\n";
  return out;
}

}  // namespace qg
