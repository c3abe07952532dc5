// quota/router_settings.hpp — the router's tunables and their validation.
//
// `RouterSettings` is what the pure decision code (route_decision.hpp) and the circuit breaker
// (circuit_breaker.hpp) read. It starts from config.yaml `router:` and is overridden by the
// runtime changes recorded as SettingChanged events (keys `router.*`, value = JSON text):
// `apply_setting` parses and validates one such value, `effective_settings` folds all of a
// RouterState's overrides over a base. `validate` returns "field: message" errors, the form the
// admin API (PUT /api/v1/thresholds, /policy, /fallbacks) and Telegram show to the operator.
// Percent thresholds are percent USED of a quota window. Durations are milliseconds.
#pragma once

#include "config/config.hpp"
#include "messages/event.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

struct RouterState;

// RoutePolicy (balanced | max_remaining | fill_first | earliest_reset | round_robin | paced) and
// AllCritical (drain | reject: what to do when every account is past `critical`) are defined
// once, in config/config.hpp, with to_string / policy_from_string / all_critical_from_string.

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

// Every problem as "field: message" (e.g. "thresholds.switch: must be <= critical (95)"); empty
// when the settings are usable.
std::vector<std::string> validate(const RouterSettings& s);

// The setting keys `apply_setting` understands (SettingChanged.key).
inline constexpr std::string_view kSettingPolicy = "router.policy";                 // "balanced"
inline constexpr std::string_view kSettingThresholds = "router.thresholds";         // {"warning","switch","critical"}
inline constexpr std::string_view kSettingAntiFlapping = "router.anti_flapping";    // {"min_dwell","cooldown_after_switch","hysteresis"}
inline constexpr std::string_view kSettingFallbackChains = "router.fallback_chains";// {"model":["alt",...]}
inline constexpr std::string_view kSettingAllCritical = "router.all_critical";      // "drain" | "reject"
inline constexpr std::string_view kSettingRouteByClientKey = "router.route_by_client_key";  // bool
inline constexpr std::string_view kSettingCircuitBreaker = "router.circuit_breaker";// {"failures","base","cap","auth_cooldown"}

// Applies one `router.*` setting given as JSON. Objects may be partial (missing fields keep
// their value); durations are a number of ms or a string such as "90s", "5m", "6h", "1d"
// (config/duration.hpp syntax).
// On any error `s` is left unchanged and the errors are returned ("field: message").
std::vector<std::string> apply_setting(RouterSettings& s, std::string_view key,
                                       const nlohmann::json& value);
// Same, with the value as JSON text (SettingChanged.value); unparsable text is an error.
std::vector<std::string> apply_setting_text(RouterSettings& s, std::string_view key,
                                            std::string_view json_text);

// The current value of one `router.*` key in the shape apply_setting accepts (durations as
// strings such as "5m"); null for an unknown key.
nlohmann::json setting_json(const RouterSettings& s, std::string_view key);
// All keys as one object {"policy":..., "thresholds":..., ...} (for export and GET routes).
nlohmann::json to_json(const RouterSettings& s);

// `base` with every `router.*` override in `state.settings` applied in key order; overrides
// that fail to parse or validate are skipped (they were validated before being written).
RouterSettings effective_settings(RouterSettings base, const RouterState& state);

// The settings config.yaml `router:` describes (before runtime overrides).
RouterSettings router_settings_from(const RouterConfig& c);

}  // namespace qg
