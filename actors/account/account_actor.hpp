// actors/account/account_actor.hpp — spawns the actor that owns one account's state.
//
// The actor is a thin shell around the pure AccountState: it validates each proposal with
// qg::validate, applies the event, appends it to the journal and answers after the commit.
// It also owns the account's circuit breaker (quota/circuit_breaker.hpp): upstream
// outcomes arrive as outcome_atom and may start or end a cooldown. After a change it
// pushes a compact AccountSummary to the `listener` (the router) as
// (summary_atom, AccountSummary, account_actor): at once when its mailbox is empty, else one
// summary behind the messages waiting then (changes in a burst are coalesced).
#pragma once

#include "messages/account_protocol.hpp"
#include "messages/journal_protocol.hpp"
#include "messages/journal_health.hpp"
#include "messages/node_liveness.hpp"
#include "messages/wall_clock.hpp"
#include "quota/router_settings.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <functional>
#include <atomic>
#include <memory>

namespace qg {

struct AccountActorOptions {
  journal_actor journal;
  caf::actor listener;                  // receives (summary_atom, AccountSummary, account_actor)
  Clock clock = system_clock_ms;
  bool allow_unpersisted = false;       // storage.on_error: allow
  // The journal's write status (null: always assumed writable). While it fails, reserve
  // refuses at once (reject) or admits without waiting while fewer than max_held_events
  // are held (allow).
  std::shared_ptr<const JournalHealth> journal_health;
  std::size_t max_held_events = 100'000;
  TimeMs tick_interval_ms = 1000;       // how often TTLs are checked
  // The TTL sweep on a shared log (quota/expiry_sweep.hpp): this node's id (stamped on the
  // events it writes, Event::node; "" on SQLite), whether it holds the singleton duties
  // (persistence/leadership.hpp; null: one node, always) and which other nodes are live
  // (null: none). A node expires its own reservations at their TTL; another node's only when
  // that node is gone, and then only on the duty holder.
  std::string node;
  std::shared_ptr<const std::atomic<bool>> sweep_duty;
  std::shared_ptr<const NodeLiveness> live_nodes;
  RouterSettings settings;              // thresholds and breaker settings in force
  // Known here only from other nodes' events, without a credential on this node
  // (quota/served_here.hpp): accounted for, never routed to (until serve_atom says otherwise).
  bool remote = false;
  // The newest seq of this account's events by other nodes that `initial` contains (an
  // account spawned when following reached it: the version its state is at, §7.3).
  std::uint64_t known_seq = 0;
};

account_actor spawn_account(caf::actor_system& sys, AccountState initial, AccountActorOptions opts);


}  // namespace qg
