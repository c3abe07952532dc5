// actors/router/route_explain.cpp — JSON and text renderings of a routing decision.
#include "actors/router/route_explain.hpp"

#include "config/duration.hpp"
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

std::string window_text(std::int64_t window_s) {
  return window_s > 0 ? format_duration(std::chrono::seconds{window_s}) : std::string("unknown");
}

json windows_json(const AccountSummary& a, TimeMs now) {
  json out = json::array();
  for (const auto& w : a.windows)
    out.push_back({{"metric", to_string(w.metric)}, {"window", window_text(w.window_s)},
                   {"limit", w.limit}, {"used", w.used_at(now)}, {"reserved", w.reserved},
                   {"remaining", w.limit > 0 ? json(w.remaining_at(now)) : json(nullptr)},
                   {"used_percent", round_to(w.used_percent_at(now), 1)},
                   {"reset_at", time_or_null(w.reset_at)}, {"source", to_string(w.source)}});
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::int64_t retry_after_seconds(const Decision& d, TimeMs now) {
  if (d.retry_at <= now) return kUnknownRetryAfterS;
  return std::max<std::int64_t>(1, (d.retry_at - now + 999) / 1000);
}

json explain_json(const Decision& d, const RouterView& view, const RouterSettings& settings, TimeMs now) {
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

std::string explain_text(const Decision& d, const RouterView& view, const RouterSettings& settings, TimeMs now) {
  std::string out = "model " + d.model_asked + " (policy " + to_string(d.policy) + ", thresholds " +
                    fixed(settings.thresholds.warning, 0) + "/" + fixed(settings.thresholds.switch_at, 0) + "/" +
                    fixed(settings.thresholds.critical, 0) + ")\n";
  if (!d.ok()) {
    out += "no account: " + std::string(to_string(d.error)) + " — " + d.message + "\n";
    if (d.retry_at > 0) out += "earliest reset: " + format_iso8601_ms(d.retry_at) + "\n";
  } else {
    out += "chosen: " + d.chosen();
    if (d.fallback) out += " (fallback model " + d.model_used + ")";
    if (d.drain) out += " (drain: every account is past critical)";
    out += "\n";
    if (d.switched)
      out += "switch: " + (d.switched->from.empty() ? std::string("(none)") : d.switched->from) + " -> " +
             d.switched->to + " (" + d.switched->reason + ")\n";
    else if (d.sticky)
      out += "sticky: kept since " + format_iso8601_ms(d.sticky->since) + "\n";
  }
  if (!d.candidates.empty()) out += "candidates:\n";
  for (const auto& c : d.candidates) {
    out += "  " + c.account + "  score " + fixed(c.score, 2) + "  after " + fixed(c.used_percent_after, 1) +
           "%  zone " + c.zone + (c.probe ? "  (probe)" : "") + "\n";
    if (const AccountSummary* a = view.find(c.account))
      for (const auto& w : a->windows)
        out += "      " + std::string(to_string(w.metric)) + "/" + window_text(w.window_s) + "  " +
               std::to_string(w.used_at(now) + w.reserved) + "/" +
               (w.limit > 0 ? std::to_string(w.limit) : std::string("?")) + "  resets " +
               (w.reset_at > 0 ? format_iso8601_ms(w.reset_at) : std::string("unknown")) + "\n";
  }
  if (!d.excluded.empty()) out += "excluded:\n";
  for (const auto& e : d.excluded)
    out += "  " + e.account + "  [" + e.model + "] " + e.reason + ": " + e.detail + "\n";
  return out;
}

}  // namespace qg
