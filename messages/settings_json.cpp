// messages/settings_json.cpp — see settings_json.hpp.
#include "messages/settings_json.hpp"

#include "messages/duration.hpp"

#include <nlohmann/json.hpp>

namespace qg {

using nlohmann::json;

namespace {
std::string duration_text(TimeMs ms) { return format_duration(std::chrono::milliseconds{ms}); }
}  // namespace

json setting_json(const RouterSettings& s, std::string_view key) {
  if (key == kSettingPolicy) return to_string(s.policy);
  if (key == kSettingThresholds)
    return {{"warning", s.thresholds.warning}, {"switch", s.thresholds.switch_at},
            {"critical", s.thresholds.critical}};
  if (key == kSettingAntiFlapping)
    return {{"min_dwell", duration_text(s.anti_flapping.min_dwell_ms)},
            {"cooldown_after_switch", duration_text(s.anti_flapping.cooldown_after_switch_ms)},
            {"hysteresis", s.anti_flapping.hysteresis}};
  if (key == kSettingFallbackChains) {
    json j = json::object();
    for (const auto& [m, alts] : s.fallback_chains) j[m] = alts;
    return j;
  }
  if (key == kSettingAllCritical) return to_string(s.all_critical);
  if (key == kSettingRouteByClientKey) return s.route_by_client_key;
  if (key == kSettingCircuitBreaker)
    return {{"failures", s.breaker.failures}, {"base", duration_text(s.breaker.base_ms)},
            {"cap", duration_text(s.breaker.cap_ms)},
            {"auth_cooldown", duration_text(s.breaker.auth_cooldown_ms)},
            {"probe_timeout", duration_text(s.breaker.probe_timeout_ms)}};
  return nullptr;
}

json router_settings_json(const RouterSettings& s) {
  json j = json::object();
  for (auto key : {kSettingPolicy, kSettingThresholds, kSettingAntiFlapping, kSettingFallbackChains,
                   kSettingAllCritical, kSettingRouteByClientKey, kSettingCircuitBreaker})
    j[std::string(key.substr(key.find('.') + 1))] = setting_json(s, key);
  return j;
}

}  // namespace qg
