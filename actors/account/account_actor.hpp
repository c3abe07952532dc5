// actors/account/account_actor.hpp — spawns the actor that owns one account's state.
//
// The actor is a thin shell around the pure AccountState: it validates each proposal with
// qg::validate, applies the event, appends it to the journal and answers after the commit.
// After every change it pushes a copy of its state (without the reservation ledger) to the
// `listener` (the router) as (view_atom, AccountState, account_actor).
#pragma once

#include "messages/account_protocol.hpp"
#include "messages/journal_protocol.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <functional>

namespace qg {

using view_atom = caf::atom_constant<caf::atom("view")>;
using Clock = std::function<TimeMs()>;

TimeMs system_clock_ms();

struct AccountActorOptions {
  journal_actor journal;
  caf::actor listener;                  // receives (view_atom, AccountState, account_actor)
  Clock clock = system_clock_ms;
  bool allow_unpersisted = false;       // storage.on_error: allow
  TimeMs tick_interval_ms = 1000;       // how often TTLs are checked
};

account_actor spawn_account(caf::actor_system& sys, AccountState initial, AccountActorOptions opts);

// A copy of the state without the reservation ledger: what the router's view needs.
AccountState without_ledger(const AccountState& s);

}  // namespace qg
