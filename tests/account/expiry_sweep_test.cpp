// Unit tests of the TTL sweep's decision (quota/expiry_sweep.hpp): which open reservations a
// node may expire, on one node and on several sharing a PostgreSQL log. No clock, no threads.
#include "quota/expiry_sweep.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace qg;

namespace {
constexpr TimeMs kT0 = 1'764'400'000'000;

Reservation reservation(const std::string& node, TimeMs expires_at) {
  return Reservation{"r", "m", Usage{1, 1, 1}, kT0, expires_at, node};
}

SweepContext on(const std::string& self, bool duties, std::set<std::string> live) {
  SweepContext c;
  c.self = self;
  c.holds_duties = duties;
  c.live = [live = std::move(live)](const std::string& node) { return live.count(node) > 0; };
  return c;
}
}  // namespace

TEST_CASE("expiry sweep: one node (SQLite) expires every reservation at its TTL") {
  const SweepContext one;  // self "", holds the duties, nobody else
  CHECK(sweep_verdict(reservation("", kT0 + 1000), kT0 + 999, one) == SweepVerdict::not_due);
  CHECK(sweep_verdict(reservation("", kT0 + 1000), kT0 + 1000, one) == SweepVerdict::expire);
}

TEST_CASE("expiry sweep: a node expires its own reservations at their TTL, with or without the duties") {
  for (bool duties : {true, false}) {
    const SweepContext c = on("a", duties, {"a", "b"});
    CHECK(sweep_verdict(reservation("a", kT0 + 1000), kT0 + 999, c) == SweepVerdict::not_due);
    CHECK(sweep_verdict(reservation("a", kT0 + 1000), kT0 + 1000, c) == SweepVerdict::expire);
  }
}

TEST_CASE("expiry sweep: another node's reservation is spared while that node is live, however late") {
  const SweepContext holder = on("a", true, {"a", "b"});
  CHECK(sweep_verdict(reservation("b", kT0 + 1000), kT0 + 1000, holder) == SweepVerdict::writer_live);
  CHECK(sweep_verdict(reservation("b", kT0 + 1000), kT0 + 3'600'000, holder) == SweepVerdict::writer_live);
}

TEST_CASE("expiry sweep: a gone node's reservations are expired by the duty holder only, past their TTL") {
  const SweepContext holder = on("a", true, {"a"});
  const SweepContext other = on("c", false, {"a", "c"});
  CHECK(sweep_verdict(reservation("b", kT0 + 5000), kT0 + 4999, holder) == SweepVerdict::not_due);
  CHECK(sweep_verdict(reservation("b", kT0 + 5000), kT0 + 5000, holder) == SweepVerdict::expire);
  CHECK(sweep_verdict(reservation("b", kT0 + 5000), kT0 + 3'600'000, other) == SweepVerdict::not_holder);
  // A writer nobody knows (rows of a migrated single-node log, a node deleted from `nodes`).
  CHECK(sweep_verdict(reservation("", kT0 + 5000), kT0 + 5000, holder) == SweepVerdict::expire);
  // Without a liveness source (no heartbeats read yet) every other node counts as gone.
  SweepContext blind;
  blind.self = "a";
  CHECK(sweep_verdict(reservation("b", kT0 + 5000), kT0 + 5000, blind) == SweepVerdict::expire);
}

TEST_CASE("expiry sweep: a reservation younger than the liveness bound proves its writer live, whatever the heartbeats say") {
  // A TTL shorter than three heartbeats; the holder has not read the writer's heartbeat yet
  // (the writer just started).
  const SweepContext holder = on("a", true, {"a"});
  CHECK(sweep_verdict(reservation("b", kT0 + 1000), kT0 + 1000, holder) == SweepVerdict::writer_live);
  CHECK(sweep_verdict(reservation("b", kT0 + 1000), kT0 + 3000, holder) == SweepVerdict::writer_live);
  CHECK(sweep_verdict(reservation("b", kT0 + 1000), kT0 + 3001, holder) == SweepVerdict::expire);
  // Its own are not concerned: at the TTL.
  CHECK(sweep_verdict(reservation("a", kT0 + 1000), kT0 + 1000, holder) == SweepVerdict::expire);
}

TEST_CASE("expiry sweep: reservations_to_expire lists the due ones the node may expire, asking liveness only for those") {
  AccountState s;
  s.reservations["own-due"] = Reservation{"own-due", "m", {}, kT0, kT0 + 1000, "a"};
  s.reservations["own-later"] = Reservation{"own-later", "m", {}, kT0, kT0 + 9000, "a"};
  s.reservations["live-b"] = Reservation{"live-b", "m", {}, kT0, kT0 + 1000, "b"};
  s.reservations["gone-c"] = Reservation{"gone-c", "m", {}, kT0, kT0 + 1000, "c"};
  s.reservations["gone-c-later"] = Reservation{"gone-c-later", "m", {}, kT0, kT0 + 9000, "c"};
  std::set<std::string> asked;
  SweepContext c;
  c.self = "a";
  c.live = [&](const std::string& node) {
    asked.insert(node);
    return node == "b";
  };
  c.young_ms = 0;
  CHECK(reservations_to_expire(s, kT0 + 2000, c) == std::vector<std::string>{"gone-c", "own-due"});
  CHECK(asked == std::set<std::string>{"b", "c"});
  c.holds_duties = false;
  CHECK(reservations_to_expire(s, kT0 + 2000, c) == std::vector<std::string>{"own-due"});
}
