// actors/router/route_scoring.cpp — admissibility, policy scores and exclusion texts.
#include "actors/router/route_scoring.hpp"
#include "messages/window_label.hpp"

#include "quota/circuit_breaker.hpp"
#include "messages/event_codec.hpp"

#include <algorithm>
#include <cstdio>

namespace qg {

namespace {

constexpr double kMinutesPerMs = 1.0 / 60'000.0;

double after_percent(const WindowSummary& w, std::int64_t need, TimeMs now) {
  return static_cast<double>(w.used_at(now) + w.reserved + need) * w.percent_per_unit;
}

std::string window_name(const WindowSummary& w) {
  return std::string(to_string(w.metric)) + "/" +
         window_label(w.window_s);
}

std::string percent_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string reset_text(TimeMs reset_at) {
  return reset_at > 0 ? ", resets " + format_iso8601_ms(reset_at) : std::string(", reset unknown");
}

}  // namespace

std::string_view to_string(Exclusion e) {
  switch (e) {
    case Exclusion::none: return "";
    case Exclusion::not_serving_model: return "not_serving_model";
    case Exclusion::not_serving_dialect: return "not_serving_dialect";
    case Exclusion::excluded_by_request: return "excluded_by_request";
    case Exclusion::disabled: return "disabled";
    case Exclusion::draining: return "draining";
    case Exclusion::cooldown: return "cooldown";
    case Exclusion::probe_in_flight: return "probe_in_flight";
    case Exclusion::exhausted: return "exhausted";
    case Exclusion::window_full: return "window_full";
    case Exclusion::above_critical: return "above_critical";
    case Exclusion::above_switch: return "above_switch";
    case Exclusion::removed: return "removed";
    case Exclusion::not_served_here: return "not_served_here";
  }
  return "";
}

AccountEval evaluate(const AccountSummary& a, std::uint32_t index, const Usage& estimate,
                     TimeMs now, const BreakerSettings& breaker, bool excluded_by_request) {
  AccountEval e;
  e.index = index;
  if (excluded_by_request) { e.reason = Exclusion::excluded_by_request; return e; }
  if (a.disabled) { e.reason = Exclusion::disabled; return e; }
  if (a.remote) { e.reason = Exclusion::not_served_here; return e; }
  if (a.drained) { e.reason = Exclusion::draining; return e; }
  if (a.cooldown_until > now) { e.reason = Exclusion::cooldown; return e; }
  if (half_open(a.cooldown_until, now)) {
    if (probe_blocking(a.probe_in_flight, a.probe_started_at, now, breaker)) {
      e.reason = Exclusion::probe_in_flight;
      return e;
    }
    e.probe = true;
  }
  bool exhausted = false, full = false;
  for (std::size_t i = 0; i < a.windows.size(); ++i) {
    const WindowSummary& w = a.windows[i];
    if (w.limit <= 0) break;  // windows with a limit come first
    const std::int64_t used = w.used_at(now);
    const std::int64_t need = estimate.amount(w.metric);
    exhausted = exhausted || used >= w.limit;
    full = full || used + w.reserved + need > w.limit;
    const double p = after_percent(w, need, now);
    if (e.binding < 0 || p > e.after) { e.after = p; e.binding = static_cast<std::int16_t>(i); }
  }
  if (exhausted) e.reason = Exclusion::exhausted;
  else if (full) e.reason = Exclusion::window_full;
  return e;
}

double projected_slack(const AccountSummary& a, TimeMs now) {
  double slack = 1.0;
  for (const auto& w : a.windows) {
    if (w.limit <= 0) break;  // windows with a limit come first
    double projected = static_cast<double>(w.used_at(now) + w.reserved);
    if (w.reset_at > now) projected += w.burn_per_ms * static_cast<double>(w.reset_at - now);
    slack = std::min(slack, 1.0 - projected / static_cast<double>(w.limit));
  }
  return slack;
}

double paced_score(const AccountSummary& a, TimeMs now) {
  return 50.0 * (1.0 + std::clamp(projected_slack(a, now), -1.0, 1.0));
}

double policy_score(RoutePolicy policy, const AccountSummary& a, const AccountEval& e, TimeMs now) {
  const double headroom = std::clamp(1.0 - e.after * 0.01, 0.0, 1.0);
  switch (policy) {
    case RoutePolicy::max_remaining:
      return 100.0 * headroom;
    case RoutePolicy::fill_first:
      return static_cast<double>(a.priority);
    case RoutePolicy::round_robin:
      return 0.0;
    case RoutePolicy::earliest_reset: {
      // The soonest reset of a window that still has headroom: its quota is lost if unused.
      TimeMs soonest = 0;
      for (const auto& w : a.windows) {
        if (w.limit <= 0) break;
        if (w.reset_at <= now || w.remaining_at(now) <= 0) continue;
        if (soonest == 0 || w.reset_at < soonest) soonest = w.reset_at;
      }
      if (soonest == 0) return 0.0;
      const double minutes = static_cast<double>(soonest - now) * kMinutesPerMs;
      return 100.0 * 60.0 / (60.0 + minutes);
    }
    case RoutePolicy::paced:
      return paced_score(a, now);
    case RoutePolicy::balanced: {
      double reset_soon = 0.0;
      if (e.binding >= 0) {
        const WindowSummary& w = a.windows[static_cast<std::size_t>(e.binding)];
        if (w.window_s > 0 && w.reset_at > now) {
          const double frac = static_cast<double>(w.reset_at - now) * w.per_length_ms;
          reset_soon = 1.0 - std::clamp(frac, 0.0, 1.0);
        }
      }
      const double health = 1.0 - std::clamp(a.error_rate, 0.0, 1.0);
      const double prio = std::clamp(static_cast<double>(a.priority), 0.0, 100.0) * 0.01;
      return 55.0 * headroom + 20.0 * reset_soon + 15.0 * health + 10.0 * prio;
    }
  }
  return 0.0;
}

TimeMs ready_at(const AccountSummary& a, const Usage& estimate, TimeMs now, double cap_percent) {
  if (a.disabled || a.remote || a.drained) return 0;
  TimeMs at = a.cooldown_until > now ? a.cooldown_until : 0;
  for (const auto& w : a.windows) {
    if (w.limit <= 0) break;
    if (after_percent(w, estimate.amount(w.metric), now) <= cap_percent) continue;
    if (w.reset_at <= now) return 0;  // blocked by reservations alone, or no known reset
    at = std::max(at, w.reset_at);
  }
  return at;
}

std::string exclusion_detail(const AccountSummary& a, const AccountEval& e, const Usage& estimate,
                             const RouterSettings& settings, TimeMs now) {
  const Exclusion r = e.why();
  if (r == Exclusion::none) return {};
  if (r == Exclusion::not_serving_model) return "its model list does not include this model";
  if (r == Exclusion::not_serving_dialect)
    return "its provider serves only the " + dialect_names(a.dialects) + " dialect(s), not this request's";
  if (r == Exclusion::excluded_by_request) return "excluded by the request (already tried)";
  if (r == Exclusion::disabled) return "account is disabled";
  if (r == Exclusion::not_served_here)
    return "known from other nodes' events only: this node holds no credential for it";
  if (r == Exclusion::draining) return "drained by an operator";
  if (r == Exclusion::cooldown)
    return "cooldown until " + format_iso8601_ms(a.cooldown_until) + " (" + a.cooldown_reason +
           (a.cooldown_detail.empty() ? "" : ": " + a.cooldown_detail) + ")";
  if (r == Exclusion::probe_in_flight)
    return "half-open: probe sent at " + format_iso8601_ms(a.probe_started_at) + ", awaiting its outcome";
  if (r == Exclusion::exhausted || r == Exclusion::window_full) {
    for (const auto& w : a.windows) {
      if (w.limit <= 0) break;
      const std::int64_t used = w.used_at(now), need = estimate.amount(w.metric);
      if (r == Exclusion::exhausted ? used >= w.limit : used + w.reserved + need > w.limit)
        return window_name(w) + ": " + std::to_string(used) + " used + " + std::to_string(w.reserved) +
               " reserved + " + std::to_string(need) + " needed > limit " + std::to_string(w.limit) +
               reset_text(w.reset_at);
    }
    return std::string(to_string(r));
  }
  const WindowSummary* w = e.binding >= 0 ? &a.windows[static_cast<std::size_t>(e.binding)] : nullptr;
  const std::string where = w ? " of " + window_name(*w) + reset_text(w->reset_at) : std::string();
  if (r == Exclusion::above_critical)
    return "would reach " + percent_text(e.after) + where + " (critical " +
           percent_text(settings.thresholds.critical) + ")";
  if (r == Exclusion::above_switch)
    return "would reach " + percent_text(e.after) + where + " (switch " +
           percent_text(settings.thresholds.switch_at) + ") while another account is below " +
           percent_text(settings.thresholds.switch_at - settings.anti_flapping.hysteresis);
  return std::string(to_string(r));
}

}  // namespace qg
