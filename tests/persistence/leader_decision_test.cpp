// tests/persistence/leader_decision_test.cpp — the leadership rules without threads, clocks or
// a database: elected on acquiring the lock, deposed at once when the probe fails or the
// lock is gone, probe cadence, node liveness from heartbeats.
#include "persistence/leader_decision.hpp"

#include <doctest/doctest.h>

using qg::LeaderChange;
using qg::LeaderState;
using qg::LeaderTiming;
using qg::LockProbe;
using qg::next_leader_step;

namespace {
const LeaderTiming kTiming{1000, 500, 2000};
}

TEST_CASE("leader decision: a follower that acquires the lock is elected and then checks it") {
  LeaderState s;
  auto step = next_leader_step(s, LockProbe::busy, 100, kTiming);
  CHECK(step.change == LeaderChange::none);
  CHECK_FALSE(s.holding);
  CHECK(step.next_probe_at == 1100);  // try_every
  step = next_leader_step(s, LockProbe::acquired, 1100, kTiming);
  CHECK(step.change == LeaderChange::elected);
  CHECK(s.holding);
  CHECK(s.since == 1100);
  CHECK(s.terms == 1);
  CHECK(step.next_probe_at == 1600);  // check_every
  step = next_leader_step(s, LockProbe::held, 1600, kTiming);
  CHECK(step.change == LeaderChange::none);
  CHECK_FALSE(step.reconnect);
  CHECK(s.since == 1100);
}

TEST_CASE("leader decision: a failed probe deposes the holder at once and asks for a new connection") {
  LeaderState s;
  next_leader_step(s, LockProbe::acquired, 0, kTiming);
  const auto step = next_leader_step(s, LockProbe::failed, 500, kTiming);
  CHECK(step.change == LeaderChange::deposed);
  CHECK(step.reconnect);
  CHECK_FALSE(s.holding);
  CHECK(step.next_probe_at == 2500);  // retry_after_failure
  // A follower's failure changes nothing but the connection.
  const auto again = next_leader_step(s, LockProbe::failed, 2500, kTiming);
  CHECK(again.change == LeaderChange::none);
  CHECK(again.reconnect);
}

TEST_CASE("leader decision: a holder whose session no longer holds the lock steps down and tries again at once") {
  LeaderState s;
  next_leader_step(s, LockProbe::acquired, 0, kTiming);
  auto step = next_leader_step(s, LockProbe::lost, 500, kTiming);
  CHECK(step.change == LeaderChange::deposed);
  CHECK_FALSE(step.reconnect);
  CHECK(step.next_probe_at == 500);
  step = next_leader_step(s, LockProbe::acquired, 500, kTiming);
  CHECK(step.change == LeaderChange::elected);
  CHECK(s.terms == 2);
  step = next_leader_step(s, LockProbe::busy, 1000, kTiming);  // someone else has it now
  CHECK(step.change == LeaderChange::deposed);
  CHECK(step.next_probe_at == 2000);
}

TEST_CASE("leader decision: a node is live until it missed three heartbeats") {
  CHECK(qg::node_live(10'000, 10'000, 1000));
  CHECK(qg::node_live(10'000, 13'000, 1000));
  CHECK_FALSE(qg::node_live(10'000, 13'001, 1000));
}
