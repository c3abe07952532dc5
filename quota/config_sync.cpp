// quota/config_sync.cpp
#include "quota/config_sync.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace qg {

AccountSpec spec_from_config(const AccountConfig& a) {
  AccountSpec s;
  s.provider = a.provider;
  s.type = a.type.empty() ? a.provider : a.type;
  s.base_url = a.base_url;
  s.prefix = a.prefix;
  s.models = a.models;
  s.priority = a.priority;
  s.enabled = a.enabled;
  s.limits = a.limits;
  s.origin = "config";
  return s;
}

namespace {
const std::string_view kSettingKeys[] = {kSettingPolicy, kSettingThresholds, kSettingAntiFlapping,
                                         kSettingFallbackChains, kSettingAllCritical,
                                         kSettingRouteByClientKey, kSettingCircuitBreaker};
}  // namespace

bool config_sync_owns(const AccountState& account, const std::string& node) {
  return node.empty() || account.registered_by.empty() || account.registered_by == node;
}

std::vector<Event> account_sync_events(const std::vector<AccountConfig>& accounts,
                                       const std::map<std::string, AccountState>& known, TimeMs now,
                                       const std::string& node, std::vector<std::string>* left_to_others) {
  std::vector<Event> out;
  auto add = [&](const std::string& id, EventPayload payload) {
    out.push_back(Event{0, now, id, std::move(payload), node});
  };
  for (const auto& a : accounts) {
    AccountSpec spec = spec_from_config(a);
    auto it = known.find(a.id);
    const bool registered = it != known.end() && !it->second.spec.provider.empty();
    if (!registered || it->second.removed) add(a.id, AccountRegistered{spec});
    else if (it->second.spec == spec) continue;
    else if (config_sync_owns(it->second, node)) add(a.id, AccountUpdated{spec});
    else if (left_to_others) left_to_others->push_back(a.id + " (" + it->second.registered_by + ")");
  }
  for (const auto& [id, acc] : known) {
    if (acc.removed || acc.spec.origin != "config" || !config_sync_owns(acc, node)) continue;
    bool listed = false;
    for (const auto& a : accounts) listed = listed || a.id == id;
    if (!listed) add(id, AccountRemoved{"no longer in config"});
  }
  return out;
}

namespace {

// The value `node`'s file last gave `key` as the log recorded it (one node, "": any config SettingChanged).
std::optional<std::string> file_value_recorded(const RouterState& state, const std::string& node, std::string_view key) {
  const std::map<std::string, std::string>* values = &state.file_values;
  if (!node.empty()) {
    auto mine = state.node_file_values.find(node);
    if (mine == state.node_file_values.end()) return std::nullopt;
    values = &mine->second;
  }
  auto it = values->find(std::string(key));
  if (it == values->end()) return std::nullopt;
  return it->second;
}

// Whether the file's value of `key` is news the log must record (and that then takes effect).
bool setting_file_speaks(const std::string& file_value, const RouterState& state, const std::string& node,
                         std::string_view key) {
  const std::string builtin = setting_json(RouterSettings{}, key).dump();
  if (auto own = file_value_recorded(state, node, key)) return file_value != *own;
  // One node: a key the log never recorded a file value for had the built-in default in the file.
  if (node.empty()) return file_value != builtin;
  // A node new to this key on a shared log: its file speaks only with a value that is neither
  // the built-in default (a node without that line) nor one another node's file gives (a node
  // configured as another), so adding such a node undoes no runtime change.
  if (file_value == builtin) return false;
  if (auto last = state.file_values.find(std::string(key)); last != state.file_values.end() && last->second == file_value)
    return false;  // also covers file values recorded without a node stamp
  for (const auto& [other, values] : state.node_file_values)
    if (auto it = values.find(std::string(key)); it != values.end() && it->second == file_value) return false;
  return true;
}

}  // namespace

std::vector<Event> setting_sync_events(const RouterSettings& file, const RouterState& state, TimeMs now,
                                       const std::string& node, std::vector<std::string>* settings_left) {
  std::vector<Event> out;
  for (auto key : kSettingKeys) {
    const std::string value = setting_json(file, key).dump();
    if (setting_file_speaks(value, state, node, key)) {
      out.push_back(Event{0, now, "", SettingChanged{std::string(key), value, "config"}, node});
      continue;
    }
    auto in_force = state.settings.find(std::string(key));
    if (settings_left && in_force != state.settings.end() && in_force->second.value != value)
      settings_left->push_back(std::string(key) + " (this file: " + value + "; in force: " + in_force->second.value +
                                 ", from " + in_force->second.source + ")");
  }
  return out;
}

std::vector<Event> config_sync_events(const Config& config, const SystemState& state, TimeMs now,
                                      const std::string& node, std::vector<std::string>* left_to_others,
                                      std::vector<std::string>* settings_left) {
  std::vector<Event> out = account_sync_events(config.accounts, state.accounts, now, node, left_to_others);
  auto settings = setting_sync_events(router_settings_from(config.router), state.router, now, node, settings_left);
  out.insert(out.end(), settings.begin(), settings.end());
  return out;
}

void store_router_settings(RouterConfig& r, const RouterSettings& s) {
  r.policy = s.policy;
  r.thresholds = ThresholdsConfig{s.thresholds.warning, s.thresholds.switch_at, s.thresholds.critical};
  r.anti_flapping.min_dwell = std::chrono::milliseconds(s.anti_flapping.min_dwell_ms);
  r.anti_flapping.cooldown_after_switch = std::chrono::milliseconds(s.anti_flapping.cooldown_after_switch_ms);
  r.anti_flapping.hysteresis = s.anti_flapping.hysteresis;
  r.fallback_chains = s.fallback_chains;
  r.all_critical = s.all_critical;
  r.route_by_client_key = s.route_by_client_key;
  r.circuit_breaker.failures = static_cast<int>(s.breaker.failures);
  r.circuit_breaker.base = std::chrono::milliseconds(s.breaker.base_ms);
  r.circuit_breaker.cap = std::chrono::milliseconds(s.breaker.cap_ms);
  r.circuit_breaker.auth_cooldown = std::chrono::milliseconds(s.breaker.auth_cooldown_ms);
}

std::vector<Event> expiry_events(const SystemState& state, TimeMs now) {
  std::vector<Event> out;
  for (const auto& [id, acc] : state.accounts)
    for (const auto& [rid, r] : acc.reservations)
      if (r.expires_at <= now) out.push_back(Event{0, now, id, ReservationExpired{rid}});
  return out;
}

}  // namespace qg
