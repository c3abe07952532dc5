// quota/router_state.hpp — the event-sourced part of the router's state.
//
// Sticky route choices (RouteSwitched) and runtime setting overrides (SettingChanged) are
// folded here by a pure `apply`, used live by the router actor and in replay.
#pragma once

#include "messages/event.hpp"

#include <map>
#include <string>

namespace qg {

struct StickyRoute {
  std::string account;
  TimeMs since = 0;                // when this route key switched to `account`
  bool operator==(const StickyRoute&) const = default;
};

struct SettingValue {
  std::string value;               // JSON text
  std::string source;              // admin | telegram | config
  TimeMs changed_at = 0;
  bool operator==(const SettingValue&) const = default;
};

// The sticky table is bounded: route keys (models, or model + client key) come from clients.
// When a RouteSwitched would make it hold more than kMaxStickyRoutes keys, the fold forgets the
// kStickyTrim keys whose choices are oldest (least recently switched; ties by key) at once, so
// a flood of new keys costs one pass over the table per kStickyTrim switches, not one per
// switch. The table holds kMaxStickyRoutes - kStickyTrim .. kMaxStickyRoutes keys once full.
// The fold stays pure, so live state and replay agree.
inline constexpr std::size_t kMaxStickyRoutes = 4096;
inline constexpr std::size_t kStickyTrim = 512;

struct RouterState {
  std::map<std::string, StickyRoute> sticky;      // route key -> current choice
  std::map<std::string, SettingValue> settings;   // key -> latest SettingChanged
  std::map<std::string, std::string> file_values; // key -> last value any config file gave (SettingChanged{config})
  // Shared logs: node -> key -> the last value that node's config file gave (its own config
  // SettingChanged events; quota/config_sync.hpp compares a node's file with it). Empty on SQLite.
  std::map<std::string, std::map<std::string, std::string>> node_file_values;
  TimeMs last_switch_at = 0;                      // any voluntary or forced switch
  bool operator==(const RouterState&) const = default;
};

// Applies RouteSwitched and SettingChanged; ignores every other event.
void apply(RouterState& s, const Event& e);

}  // namespace qg
