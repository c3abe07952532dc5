// persistence/leader_decision.hpp — which node holds the singleton duties: the pure part.
//
// Several nodes on one PostgreSQL elect the holder of the duties only one node may run
// (Telegram polling and alerts, CLIProxyAPI discovery rescans and quota polls, reservation
// expiry sweeps) through a session-level advisory lock on a connection of its own
// (persistence/leadership.hpp is the shell: thread, connection, heartbeats). Each round the
// shell probes the lock — pg_try_advisory_lock while it does not hold it, a look in pg_locks
// for its own backend while it does — and feeds the outcome here; this file says what that
// means and when to probe next. No clock is read, nothing blocks: tested without threads
// (tests/persistence/leader_decision_test.cpp).
//
// Rules: a follower that acquires the lock is elected; a holder whose look finds the lock gone
// (its connection was re-opened: the old session, and the lock with it, ended) or whose probe
// failed (connection or server lost: the server frees the lock when the session ends) steps
// down at once and asks for a fresh connection. A holder probes every check_every_ms, a
// follower every try_every_ms, so a dead holder's duties move within about try_every_ms
// of the server noticing its connection closed.
#pragma once

#include "messages/event.hpp"

#include <cstdint>

namespace qg {

// What one probe of the lock found.
enum class LockProbe {
  acquired,   // pg_try_advisory_lock answered true
  busy,       // pg_try_advisory_lock answered false: another session holds it
  held,       // the holder's look: its backend still holds the lock
  lost,       // the holder's look: its backend no longer holds it
  failed,     // the statement or the connection failed (nothing known)
};

enum class LeaderChange { none, elected, deposed };

struct LeaderTiming {
  TimeMs try_every_ms = 1000;    // follower: how often it tries the lock
  TimeMs check_every_ms = 1000;  // holder: how often it checks it still holds it
  TimeMs retry_after_failure_ms = 1000;
};

struct LeaderState {
  bool holding = false;
  TimeMs since = 0;        // when holding last changed
  std::uint64_t terms = 0; // how many times this node was elected
};

struct LeaderStep {
  LeaderChange change = LeaderChange::none;
  bool reconnect = false;  // drop the connection and open a new one before the next probe
  TimeMs next_probe_at = 0;
};

// Folds one probe's outcome into `state` and says what follows.
LeaderStep next_leader_step(LeaderState& state, LockProbe probe, TimeMs now, const LeaderTiming& timing);

// Whether a node whose last heartbeat was at `last_seen` counts as live at `now`: it beats
// every `beat_every_ms`; three missed beats and it is gone.
bool node_live(TimeMs last_seen, TimeMs now, TimeMs beat_every_ms);

}  // namespace qg
