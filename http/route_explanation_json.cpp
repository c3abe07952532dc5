// http/route_explanation_json.cpp — see route_explanation_json.hpp.
#include "http/route_explanation_json.hpp"

#include "messages/civil_time.hpp"
#include "messages/duration.hpp"
#include "messages/window_label.hpp"

#include <nlohmann/json.hpp>

namespace qg {

using nlohmann::json;

namespace {

json time_or_null(TimeMs t) { return t > 0 ? json(format_utc_ms(t)) : json(nullptr); }

json window_json(const ExplainedWindow& w) {
  return {{"metric", to_string(w.metric)}, {"window", window_label(w.window_s)},
          {"limit", w.limit}, {"used", w.used}, {"reserved", w.reserved},
          {"remaining", w.remaining ? json(*w.remaining) : json(nullptr)},
          {"used_percent", w.used_percent},
          {"reset_at", time_or_null(w.reset_at)}, {"source", to_string(w.source)},
          {"rate_per_hour", w.rate_per_hour},
          {"projected_at_reset", w.projected_at_reset ? json(*w.projected_at_reset) : json(nullptr)}};
}

// Readers that never throw: a missing or mistyped member is the type's empty value.
std::string text(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::optional<std::string> text_or_null(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
double number(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
}
std::int64_t integer(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}
bool flag(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}
TimeMs time_of(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return 0;
  return parse_utc_ms(it->get_ref<const std::string&>()).value_or(0);
}
const json& member(const json& o, const char* key) {
  static const json kNull;
  auto it = o.find(key);
  return it != o.end() ? *it : kNull;
}
// Each element of the array member `key` that is an object.
template <class F>
void each_object(const json& o, const char* key, F&& f) {
  const json& a = member(o, key);
  if (!a.is_array()) return;
  for (const auto& e : a)
    if (e.is_object()) f(e);
}

ExplainedWindow window_from(const json& w) {
  ExplainedWindow x;
  x.metric = metric_from_string(text(w, "metric")).value_or(Metric::requests);
  const auto length = parse_duration(text(w, "window"));  // window_label's text ("5h", "1d")
  x.window_s = length ? length->count() / 1000 : 0;
  x.limit = integer(w, "limit");
  x.used = integer(w, "used");
  x.reserved = integer(w, "reserved");
  if (member(w, "remaining").is_number()) x.remaining = integer(w, "remaining");
  x.used_percent = number(w, "used_percent");
  x.reset_at = time_of(w, "reset_at");
  x.source = source_from_string(text(w, "source")).value_or(QuotaSource::config);
  x.rate_per_hour = number(w, "rate_per_hour");
  if (member(w, "projected_at_reset").is_number()) x.projected_at_reset = number(w, "projected_at_reset");
  return x;
}

}  // namespace

json route_explanation_json(const RouteExplanation& x) {
  json candidates = json::array();
  for (const auto& c : x.candidates) {
    json windows = json::array();
    for (const auto& w : c.windows) windows.push_back(window_json(w));
    candidates.push_back({{"account", c.account}, {"model", c.model}, {"score", c.score},
                          {"priority", c.priority}, {"used_percent_after", c.used_percent_after},
                          {"zone", c.zone}, {"probe", c.probe}, {"windows", std::move(windows)}});
  }
  json excluded = json::array();
  for (const auto& e : x.excluded)
    excluded.push_back({{"account", e.account}, {"model", e.model}, {"reason", e.reason}, {"detail", e.detail}});
  json sw = nullptr;
  if (x.switched) {
    json scores = json::object();
    for (const auto& [id, s] : x.switched->scores) scores[id] = s;
    sw = {{"from", x.switched->from}, {"to", x.switched->to}, {"reason", x.switched->reason}, {"scores", scores}};
  }
  json error = nullptr;
  if (x.error)
    error = {{"kind", x.error->kind}, {"message", x.error->message}, {"retry_at", time_or_null(x.error->retry_at)},
             {"retry_after_s", x.error->retry_after_s}};
  return {{"model", x.model}, {"model_used", x.model_used ? json(*x.model_used) : json(nullptr)},
          {"fallback", x.fallback}, {"route_key", x.route_key}, {"policy", to_string(x.policy)},
          {"mode", x.drain ? "drain" : "normal"}, {"at", format_utc_ms(x.at)},
          {"chosen", x.chosen ? json(*x.chosen) : json(nullptr)}, {"targets", x.targets},
          {"sticky", x.sticky ? json{{"account", x.sticky->account}, {"since", time_or_null(x.sticky->since)}}
                              : json(nullptr)},
          {"switch", sw},
          {"thresholds", {{"warning", x.thresholds.warning}, {"switch", x.thresholds.switch_at},
                          {"critical", x.thresholds.critical}, {"hysteresis", x.thresholds.hysteresis}}},
          {"candidates", candidates}, {"excluded", excluded}, {"error", error}};
}

std::optional<RouteExplanation> route_explanation_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  RouteExplanation x;
  x.model = text(j, "model");
  x.model_used = text_or_null(j, "model_used");
  x.fallback = flag(j, "fallback");
  x.route_key = text(j, "route_key");
  x.policy = policy_from_string(text(j, "policy")).value_or(RoutePolicy::balanced);
  x.drain = text(j, "mode") == "drain";
  x.at = time_of(j, "at");
  x.chosen = text_or_null(j, "chosen");
  if (const json& t = member(j, "targets"); t.is_array())
    for (const auto& id : t)
      if (id.is_string()) x.targets.push_back(id.get<std::string>());
  if (const json& s = member(j, "sticky"); s.is_object()) x.sticky = ExplainedSticky{text(s, "account"), time_of(s, "since")};
  if (const json& s = member(j, "switch"); s.is_object()) {
    ExplainedSwitch sw{text(s, "from"), text(s, "to"), text(s, "reason"), {}};
    if (const json& scores = member(s, "scores"); scores.is_object())
      for (const auto& [id, v] : scores.items())
        if (v.is_number()) sw.scores[id] = v.get<double>();
    x.switched = std::move(sw);
  }
  const json& t = member(j, "thresholds");
  if (t.is_object())
    x.thresholds = {number(t, "warning"), number(t, "switch"), number(t, "critical"), number(t, "hysteresis")};
  each_object(j, "candidates", [&](const json& c) {
    ExplainedCandidate out{text(c, "account"), text(c, "model"), number(c, "score"), integer(c, "priority"),
                           number(c, "used_percent_after"), text(c, "zone"), flag(c, "probe"), {}};
    each_object(c, "windows", [&](const json& w) { out.windows.push_back(window_from(w)); });
    x.candidates.push_back(std::move(out));
  });
  each_object(j, "excluded", [&](const json& e) {
    x.excluded.push_back({text(e, "account"), text(e, "model"), text(e, "reason"), text(e, "detail")});
  });
  if (const json& e = member(j, "error"); e.is_object())
    x.error = ExplainedRefusal{text(e, "kind"), text(e, "message"), time_of(e, "retry_at"), integer(e, "retry_after_s")};
  return x;
}

}  // namespace qg
