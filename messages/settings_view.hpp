// messages/settings_view.hpp — the router's settings as plain data, and one setting as the
// operator verbs answer it.
//
// `RouterSettings` is what the pure decision code (actors/router/route_decision.hpp) and the
// circuit breaker (quota/circuit_breaker.hpp) read; quota/router_settings.hpp validates and
// changes it (`validate`, `apply_setting`, `effective_settings`). `StatusView::settings` and
// `SettingView` carry it to the front ends, which render it: JSON in messages/settings_json.hpp
// (the admin API, the export, the SettingChanged value), chat text in telegram/. Percent
// thresholds are percent USED of a quota window; durations are milliseconds. No behaviour.
#pragma once

#include "messages/event.hpp"
#include "messages/route_policy.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

struct RouteThresholds {
  double warning = 85;             // alert once when a window crosses it upward
  double switch_at = 90;           // stop choosing the account while another is below switch - hysteresis
  double critical = 95;            // exclude unless every account is past it
  bool operator==(const RouteThresholds&) const = default;
};

struct AntiFlapping {
  TimeMs min_dwell_ms = 5 * 60 * 1000;              // minimum stay on a route's account
  TimeMs cooldown_after_switch_ms = 3 * 60 * 1000;  // no voluntary switch this soon after any switch
  double hysteresis = 5;                            // points: score gap (and percent band) required
  bool operator==(const AntiFlapping&) const = default;
};

struct BreakerSettings {
  std::int64_t failures = 5;                        // consecutive failures that open the breaker
  TimeMs base_ms = 10 * 1000;                       // first error cooldown; doubles per failed probe
  TimeMs cap_ms = 10 * 60 * 1000;                   // longest error cooldown
  TimeMs auth_cooldown_ms = 6 * 60 * 60 * 1000;     // 401/403: re-login needed
  TimeMs probe_timeout_ms = 2 * 60 * 1000;          // a probe with no outcome after this frees the slot
  bool operator==(const BreakerSettings&) const = default;
};

struct RouterSettings {
  RoutePolicy policy = RoutePolicy::balanced;
  RouteThresholds thresholds;
  AntiFlapping anti_flapping;
  std::map<std::string, std::vector<std::string>> fallback_chains;  // model -> alternatives in order
  AllCritical all_critical = AllCritical::drain;
  bool route_by_client_key = false;  // sticky choice per (model, client key) instead of per model
  BreakerSettings breaker;
  bool operator==(const RouterSettings&) const = default;
};

// The setting keys of SettingChanged events (`router.*`), one per part of RouterSettings.
inline constexpr std::string_view kSettingPolicy = "router.policy";                 // "balanced"
inline constexpr std::string_view kSettingThresholds = "router.thresholds";         // {"warning","switch","critical"}
inline constexpr std::string_view kSettingAntiFlapping = "router.anti_flapping";    // {"min_dwell","cooldown_after_switch","hysteresis"}
inline constexpr std::string_view kSettingFallbackChains = "router.fallback_chains";// {"model":["alt",...]}
inline constexpr std::string_view kSettingAllCritical = "router.all_critical";      // "drain" | "reject"
inline constexpr std::string_view kSettingRouteByClientKey = "router.route_by_client_key";  // bool
inline constexpr std::string_view kSettingCircuitBreaker = "router.circuit_breaker";// {"failures","base","cap","auth_cooldown"}

// A setting the operator verbs read and write (`Operations::get_setting` / `put_setting`):
// its name there ("thresholds", the admin API's GET|PUT /api/v1/thresholds), the router key it
// stands for and, when the admin body wraps the value, the wrapper's field ({"policy": ...}).
struct OperatorSetting {
  std::string_view name;
  std::string_view router_key;
  std::string_view field;  // "" = the admin body is the value itself
};
// The operator setting called `name`, nullptr for an unknown one.
const OperatorSetting* operator_setting(std::string_view name);

// What get_setting / put_setting answer: the setting asked for and the effective settings it
// is part of (nullopt when the router did not answer).
struct SettingView {
  const OperatorSetting* setting = nullptr;
  std::optional<RouterSettings> settings;
};

}  // namespace qg
