// actors/router/route_explain.cpp — a routing decision as a RouteExplanation.
#include "actors/router/route_explain.hpp"

#include <cmath>

namespace qg {

namespace {

constexpr std::int64_t kUnknownRetryAfterS = 60;

// Rounds to `decimals` places (dividing gives the double nearest the decimal value).
double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

std::vector<ExplainedWindow> windows_of(const AccountSummary& a, TimeMs now) {
  std::vector<ExplainedWindow> out;
  for (const auto& w : a.windows) {
    ExplainedWindow x;
    x.metric = w.metric;
    x.window_s = w.window_s;
    x.limit = w.limit;
    x.used = w.used_at(now);
    x.reserved = w.reserved;
    if (w.limit > 0) x.remaining = w.remaining_at(now);
    x.used_percent = round_to(w.used_percent_at(now), 1);
    x.reset_at = w.reset_at > 0 ? w.reset_at : 0;
    x.source = w.source;
    x.rate_per_hour = round_to(w.burn_per_ms * 3'600'000.0, 2);
    if (w.reset_at > now) {  // the `paced` projection: used + reserved + burn rate x time to reset
      const double projected = static_cast<double>(w.used_at(now) + w.reserved) +
                               w.burn_per_ms * static_cast<double>(w.reset_at - now);
      x.projected_at_reset = round_to(projected, 1);
    }
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

std::int64_t retry_after_seconds(const RouteDecision& d, TimeMs now) {
  if (d.retry_at <= now) return kUnknownRetryAfterS;
  return std::max<std::int64_t>(1, (d.retry_at - now + 999) / 1000);
}

RouteExplanation explain(const RouteDecision& d, const RouterView& view, const RouterSettings& settings, TimeMs now) {
  RouteExplanation x;
  x.model = d.model_asked;
  if (d.ok()) {
    x.model_used = d.model_used;
    x.chosen = d.chosen();
  }
  x.fallback = d.fallback;
  x.route_key = d.route_key;
  x.policy = d.policy;
  x.drain = d.drain;
  x.at = now;
  x.targets = d.targets;
  if (d.sticky) x.sticky = ExplainedSticky{d.sticky->account, d.sticky->since > 0 ? d.sticky->since : 0};
  if (d.switched) {
    ExplainedSwitch sw{d.switched->from, d.switched->to, d.switched->reason, {}};
    for (const auto& [id, s] : d.switched->scores) sw.scores[id] = round_to(s, 2);
    x.switched = std::move(sw);
  }
  x.thresholds = {settings.thresholds.warning, settings.thresholds.switch_at, settings.thresholds.critical,
                  settings.anti_flapping.hysteresis};
  for (const auto& c : d.candidates) {
    const AccountSummary* a = view.find(c.account);
    x.candidates.push_back({c.account, c.model, round_to(c.score, 2), c.priority, round_to(c.used_percent_after, 1),
                            c.zone, c.probe, a ? windows_of(*a, now) : std::vector<ExplainedWindow>{}});
  }
  for (const auto& e : d.excluded) x.excluded.push_back({e.account, e.model, e.reason, e.detail});
  if (d.error != RouteError::none)
    x.error = ExplainedRefusal{to_string(d.error), d.message, d.retry_at > 0 ? d.retry_at : 0,
                               retry_after_seconds(d, now)};
  return x;
}

}  // namespace qg
