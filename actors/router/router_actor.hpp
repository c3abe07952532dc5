// actors/router/router_actor.hpp — spawns the router actor (protocol: messages/router_protocol.hpp).
//
// A thin shell: the decision is qg::decide (route_decision.hpp), admission is the account
// actor's; this file only moves messages between them, persists RouteSwitched and
// SettingChanged through the journal, and pushes the effective settings to every account.
// On a shared log it also takes the other nodes' RouteSwitched and SettingChanged (follow_atom).
#pragma once

#include "actors/account/account_actor.hpp"
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"
#include "messages/journal_protocol.hpp"
#include "messages/router_protocol.hpp"

namespace qg {

struct RouterActorOptions {
  journal_actor journal;
  RouterState state;                 // recovered from the log
  RouterSettings base;               // from config.yaml; state.settings overrides it
  std::string node;                  // this node's id on a shared log ("" on SQLite): its events carry it
  Clock clock = system_clock_ms;
};

router_actor spawn_router(caf::actor_system& sys, RouterActorOptions opts);

}  // namespace qg
