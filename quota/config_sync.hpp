// quota/config_sync.hpp — turns config.yaml into events, at start-up and on reload.
//
// Accounts listed in config become AccountRegistered / AccountUpdated (only when their spec
// changed) and config accounts that disappeared become AccountRemoved. On a log several nodes
// share (`node` = this node's id; "" = one node, SQLite) the accounts are each node's own: a
// node registers and updates the accounts its config lists and removes those it registered
// (AccountState::registered_by) that its config no longer lists; an account another node
// registered it never removes, nor rewrites when its own spec of it differs (that node, or an
// operator through the admin API, may). Accounts registered by no node ("", SQLite) are
// everyone's, as on one node. The events carry `node` (Event::node), as the log will.
// Router settings follow INTERFACE §2's precedence: a runtime change (SettingChanged from
// admin/telegram) is the cluster's and stays in force until a config file's value of that key
// *changes*; so a SettingChanged{source: config} is written only when the file's value differs
// from the one this file gave last time (RouterState::file_values on one node, where a key never
// recorded had the built-in default; RouterState::node_file_values[node] on a shared log). A
// node new to a key on a shared log writes its file's value only when it is neither the
// built-in default nor a value another node's file gives, so adding a node, or restarting
// nodes whose `router:` sections differ, changes nothing; a file edited on one node applies to
// all once (docs/EVENT_LOG.md §7.4 "Each node's router settings").
// Pure: state and config in, events out.
#pragma once

#include "quota/router_settings.hpp"
#include "quota/system_state.hpp"
#include "config/config.hpp"

#include <vector>

namespace qg {

AccountSpec spec_from_config(const AccountConfig& a);

// The events that bring `state` in line with `config` (may be empty): accounts, then settings.
// `left_to_others` (may be null) receives "id (node)" for each listed account whose spec
// another node registered differently and this sync leaves as it is.
// `settings_left` (may be null) receives, per key whose file value differs from the value in
// force and is not news (above), "key (this file: V; in force: W, from SOURCE)".
std::vector<Event> config_sync_events(const Config& config, const SystemState& state, TimeMs now,
                                      const std::string& node = "",
                                      std::vector<std::string>* left_to_others = nullptr,
                                      std::vector<std::string>* settings_left = nullptr);
std::vector<Event> account_sync_events(const std::vector<AccountConfig>& accounts,
                                       const std::map<std::string, AccountState>& known, TimeMs now,
                                       const std::string& node = "",
                                       std::vector<std::string>* left_to_others = nullptr);
// Whether `node`'s config sync may update or remove `account` (see above).
bool config_sync_owns(const AccountState& account, const std::string& node);
std::vector<Event> setting_sync_events(const RouterSettings& file, const RouterState& state, TimeMs now,
                                       const std::string& node = "",
                                       std::vector<std::string>* settings_left = nullptr);

// The inverse of router_settings_from (router_settings.hpp): writes effective settings into a Config
// (for export).
void store_router_settings(RouterConfig& r, const RouterSettings& s);

// ReservationExpired for every open reservation whose TTL passed (e.g. while the daemon was down).
std::vector<Event> expiry_events(const SystemState& state, TimeMs now);

}  // namespace qg
