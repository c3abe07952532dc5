// quota/router_settings.cpp — validation and JSON form of the router settings.
#include "quota/router_settings.hpp"
#include "messages/json_depth.hpp"
#include "messages/text_bounds.hpp"

#include "quota/router_state.hpp"
#include "messages/duration.hpp"
#include "config/thresholds_rule.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

namespace qg {

using nlohmann::json;

namespace {
std::optional<TimeMs> parse_duration_ms(std::string_view text) {
  auto d = parse_duration(text);
  if (!d) return std::nullopt;
  return d->count();
}
}  // namespace

RouterSettings router_settings_from(const RouterConfig& c) {
  RouterSettings s;
  s.policy = c.policy;
  s.thresholds = RouteThresholds{c.thresholds.warning, c.thresholds.switch_at, c.thresholds.critical};
  s.anti_flapping = AntiFlapping{c.anti_flapping.min_dwell.count(),
                                 c.anti_flapping.cooldown_after_switch.count(), c.anti_flapping.hysteresis};
  s.fallback_chains = c.fallback_chains;
  s.all_critical = c.all_critical;
  s.route_by_client_key = c.route_by_client_key;
  s.breaker.failures = c.circuit_breaker.failures;
  s.breaker.base_ms = c.circuit_breaker.base.count();
  s.breaker.cap_ms = c.circuit_breaker.cap.count();
  s.breaker.auth_cooldown_ms = c.circuit_breaker.auth_cooldown.count();
  return s;
}

std::vector<std::string> validate(const RouterSettings& s) {
  std::vector<std::string> errs;
  const auto& t = s.thresholds;
  if (auto problem = check_thresholds(t.warning, t.switch_at, t.critical))
    errs.push_back("thresholds." + problem->field + ": " + problem->message);
  const auto& a = s.anti_flapping;
  if (a.min_dwell_ms < 0) errs.push_back("anti_flapping.min_dwell: must not be negative");
  if (a.cooldown_after_switch_ms < 0)
    errs.push_back("anti_flapping.cooldown_after_switch: must not be negative");
  if (!std::isfinite(a.hysteresis) || a.hysteresis < 0 || a.hysteresis >= 50)
    errs.push_back("anti_flapping.hysteresis: must be in [0, 50) points, got " + rule_number_text(a.hysteresis));
  for (const auto& [model, alts] : s.fallback_chains) {
    const std::string field = "fallback_chains." + model;
    if (model.empty()) errs.push_back("fallback_chains: model name must not be empty");
    if (alts.empty()) errs.push_back(field + ": must list at least one alternative model");
    std::set<std::string> seen;
    for (const auto& alt : alts) {
      if (alt.empty()) errs.push_back(field + ": alternative model name must not be empty");
      else if (alt == model) errs.push_back(field + ": must not list the model itself");
      else if (!seen.insert(alt).second) errs.push_back(field + ": lists \"" + alt + "\" twice");
    }
  }
  const auto& b = s.breaker;
  if (b.failures < 1 || b.failures > 1000)
    errs.push_back("circuit_breaker.failures: must be in [1, 1000], got " + std::to_string(b.failures));
  if (b.base_ms <= 0) errs.push_back("circuit_breaker.base: must be positive");
  if (b.cap_ms < b.base_ms) errs.push_back("circuit_breaker.cap: must be >= base");
  if (b.auth_cooldown_ms <= 0) errs.push_back("circuit_breaker.auth_cooldown: must be positive");
  if (b.probe_timeout_ms <= 0) errs.push_back("circuit_breaker.probe_timeout: must be positive");
  return errs;
}

namespace {

// Readers for one JSON field: each returns false after recording an error.
bool read_percent(const json& obj, const char* name, const std::string& field, double& out,
                  std::vector<std::string>& errs) {
  auto it = obj.find(name);
  if (it == obj.end()) return true;
  if (!it->is_number()) { errs.push_back(field + ": must be a number"); return false; }
  out = it->get<double>();
  return true;
}

bool read_duration(const json& obj, const char* name, const std::string& field, TimeMs& out,
                   std::vector<std::string>& errs) {
  auto it = obj.find(name);
  if (it == obj.end()) return true;
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0) { out = it->get<TimeMs>(); return true; }
  if (it->is_string()) {
    if (auto ms = parse_duration_ms(it->get<std::string>())) { out = *ms; return true; }
  }
  errs.push_back(field + ": must be a duration such as \"30s\", \"5m\", \"6h\" or a number of ms");
  return false;
}

bool check_object_keys(const json& v, const std::string& prefix,
                       std::initializer_list<const char*> allowed, std::vector<std::string>& errs) {
  if (!v.is_object()) { errs.push_back(prefix + ": must be a JSON object"); return false; }
  bool ok = true;
  for (const auto& [k, _] : v.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || k == a;
    if (!known) { errs.push_back(prefix + "." + k + ": unknown field"); ok = false; }
  }
  return ok;
}

// Model names are bounded (messages/text_bounds.hpp) before any message names them.
void read_fallback_chains(const json& v, RouterSettings& next, std::vector<std::string>& errs) {
  if (!v.is_object()) { errs.push_back("fallback_chains: must be a JSON object {model: [models]}"); return; }
  if (v.size() > kMaxListItems) {
    errs.push_back("fallback_chains: at most " + std::to_string(kMaxListItems) + " models");
    return;
  }
  next.fallback_chains.clear();
  for (const auto& [model, alts] : v.items()) {
    if (std::string why = name_refusal("fallback_chains: a model name", model); !why.empty()) {
      errs.push_back(why);
      return;
    }
    const std::string field = "fallback_chains." + model;
    if (!alts.is_array()) { errs.push_back(field + ": must be an array of model names"); continue; }
    if (alts.size() > kMaxListItems) {
      errs.push_back(field + ": at most " + std::to_string(kMaxListItems) + " alternatives");
      continue;
    }
    auto& chain = next.fallback_chains[model];
    for (const auto& a : alts) {
      if (!a.is_string()) { errs.push_back(field + ": must be an array of model names"); break; }
      if (std::string why = name_refusal(field + "[]", a.get_ref<const std::string&>()); !why.empty()) {
        errs.push_back(why);
        break;
      }
      chain.push_back(a.get<std::string>());
    }
  }
}

}  // namespace

std::vector<std::string> apply_setting(RouterSettings& s, std::string_view key, const json& v) {
  RouterSettings next = s;
  std::vector<std::string> errs;
  if (key == kSettingPolicy) {
    auto p = v.is_string() ? policy_from_string(v.get<std::string>()) : std::nullopt;
    if (!p) errs.push_back("policy: must be one of balanced, max_remaining, fill_first, earliest_reset, round_robin, paced");
    else next.policy = *p;
  } else if (key == kSettingThresholds) {
    if (check_object_keys(v, "thresholds", {"warning", "switch", "critical"}, errs)) {
      read_percent(v, "warning", "thresholds.warning", next.thresholds.warning, errs);
      read_percent(v, "switch", "thresholds.switch", next.thresholds.switch_at, errs);
      read_percent(v, "critical", "thresholds.critical", next.thresholds.critical, errs);
    }
  } else if (key == kSettingAntiFlapping) {
    if (check_object_keys(v, "anti_flapping", {"min_dwell", "cooldown_after_switch", "hysteresis"}, errs)) {
      read_duration(v, "min_dwell", "anti_flapping.min_dwell", next.anti_flapping.min_dwell_ms, errs);
      read_duration(v, "cooldown_after_switch", "anti_flapping.cooldown_after_switch",
                    next.anti_flapping.cooldown_after_switch_ms, errs);
      read_percent(v, "hysteresis", "anti_flapping.hysteresis", next.anti_flapping.hysteresis, errs);
    }
  } else if (key == kSettingFallbackChains) {
    read_fallback_chains(v, next, errs);
  } else if (key == kSettingAllCritical) {
    auto m = v.is_string() ? all_critical_from_string(v.get<std::string>()) : std::nullopt;
    if (!m) errs.push_back("all_critical: must be \"drain\" or \"reject\"");
    else next.all_critical = *m;
  } else if (key == kSettingRouteByClientKey) {
    if (!v.is_boolean()) errs.push_back("route_by_client_key: must be true or false");
    else next.route_by_client_key = v.get<bool>();
  } else if (key == kSettingCircuitBreaker) {
    if (check_object_keys(v, "circuit_breaker", {"failures", "base", "cap", "auth_cooldown", "probe_timeout"}, errs)) {
      if (auto it = v.find("failures"); it != v.end()) {
        if (!it->is_number_integer()) errs.push_back("circuit_breaker.failures: must be an integer");
        else next.breaker.failures = it->get<std::int64_t>();
      }
      read_duration(v, "base", "circuit_breaker.base", next.breaker.base_ms, errs);
      read_duration(v, "cap", "circuit_breaker.cap", next.breaker.cap_ms, errs);
      read_duration(v, "auth_cooldown", "circuit_breaker.auth_cooldown", next.breaker.auth_cooldown_ms, errs);
      read_duration(v, "probe_timeout", "circuit_breaker.probe_timeout", next.breaker.probe_timeout_ms, errs);
    }
  } else {
    errs.push_back(std::string(key) + ": unknown router setting");
  }
  if (errs.empty()) errs = validate(next);
  if (errs.empty()) s = std::move(next);
  return errs;
}

std::vector<std::string> apply_setting_text(RouterSettings& s, std::string_view key,
                                            std::string_view json_text) {
  if (json_too_deep(json_text)) return {std::string(key) + ": " + json_depth_error()};
  json v = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return {std::string(key) + ": value is not valid JSON"};
  return apply_setting(s, key, v);
}

RouterSettings effective_settings(RouterSettings base, const RouterState& state) {
  for (const auto& [key, value] : state.settings)
    if (key.rfind("router.", 0) == 0) apply_setting_text(base, key, value.value);
  return base;
}

}  // namespace qg
