// quota/expiry_sweep.hpp — which open reservations a node's TTL sweep may expire: the pure part.
//
// A reservation's TTL (reservations.ttl) is for requests that died without settling. Only the
// node serving a request knows whether it is still running (a slow stream keeps its
// reservation past the TTL: messages/live_reservations.hpp), so on a log shared by several
// nodes (docs/EVENT_LOG.md §7.3) the rule is:
//   - a node expires its own reservations at their TTL, as a single node does (its sweep
//     skips those a request of its own still holds);
//   - another node's reservation is left alone while that node is live (its heartbeat in
//     `nodes` is recent: persistence/leader_decision.hpp node_live; or the reservation itself
//     is that recent), however late: that node expires it itself, or its request settles it;
//   - once that node is gone (no recent heartbeat, or no row at all: a migrated log, a row
//     deleted by an operator) the holder of the singleton duties expires its reservations at
//     their TTL; the other nodes leave them to it. Exactly once whoever writes it: the
//     version check (§7.3) lets one ReservationExpired per reservation through.
// On SQLite every reservation is the node's own (Event::node is "" for all).
// The account actor's tick is the shell (actors/account/account_actor.cpp); tests in
// tests/account/expiry_sweep_test.cpp.
#pragma once

#include "quota/account_state.hpp"

#include <functional>
#include <string>
#include <vector>

namespace qg {

struct SweepContext {
  std::string self;            // this node's id (storage.postgres.node_id); "" on SQLite
  bool holds_duties = true;    // this node holds the singleton duties (SQLite: always)
  // Whether `node`'s heartbeat is recent now. Null: no other node is known to be live.
  // Asked only for other nodes' reservations past their TTL.
  std::function<bool(const std::string& node)> live;
  // A reservation this young proves its writer was live when it wrote it: it is spared even
  // when this node's view of the heartbeats is behind (a node that just started, a heartbeat
  // read late on a loaded host). The liveness bound: three heartbeats.
  TimeMs young_ms = 3000;
};

enum class SweepVerdict {
  not_due,      // before its TTL
  expire,       // this node expires it now
  writer_live,  // another node's, and that node is live: it settles or expires it itself
  not_holder,   // a gone node's: the duty holder expires it, not this node
};

SweepVerdict sweep_verdict(const Reservation& r, TimeMs now, const SweepContext& c);

// The ids of `s`'s open reservations whose verdict is `expire`, in id order.
std::vector<std::string> reservations_to_expire(const AccountState& s, TimeMs now, const SweepContext& c);

}  // namespace qg
