// tests/postgres/cluster_nodes.hpp — several nodes in one test process: each a real Core (its
// own actor system, journal, account actors, router) on one PostgreSQL database.
//
//   test::ClusterNode a(test::node_config(dsn, "a", 40)), b(test::node_config(dsn, "b", 40));
//   test::reserve(*a.core);                                   // a route with a reservation
//   test::eventually(*b.core, "acct", [](const AccountState& s) { ... });
//
// The nodes share the process: messages/live_reservations.hpp is process-wide, so a test of
// which node may expire whose reservation runs the real binary (cluster_e2e_test.cpp).
#pragma once

#include "actors/control/core.hpp"
#include "quota/account_state.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace qg::test {

// storage.backend: postgres at `dsn` as node `node`, with one openai account "acct" allowing
// `limit` requests a day.
inline Config node_config(const std::string& dsn, const std::string& node, std::int64_t limit) {
  Config c;
  c.storage.backend = StorageBackend::postgres;
  c.storage.postgres.dsn = dsn;
  c.storage.postgres.node_id = node;
  AccountConfig a;
  a.id = "acct";
  a.provider = "openai";
  a.base_url = "http://127.0.0.1:1/v1";
  a.api_key = "sk-test-" + node;
  a.limits = {{Metric::requests, 86'400, limit}};
  c.accounts.push_back(a);
  return c;
}

// One node: its own actor system and Core, started and routable (gpt-4o) when constructed.
struct ClusterNode {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<Core> core;
  explicit ClusterNode(const Config& config) {
    core = Core::start(sys, config);
    RouteRequest probe;
    probe.model = "gpt-4o";
    probe.reserve = false;
    for (int i = 0; i < 500 && !core->route(probe).ok; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(core->route(probe).ok);
  }
  ~ClusterNode() { core->stop(); }
};

inline RouteGrant reserve(Core& core, TimeMs ttl_ms = 600'000) {
  RouteRequest r;
  r.model = "gpt-4o";
  r.estimate = Usage{1, 10, 10};
  r.ttl_ms = ttl_ms;
  return core.route(r);
}

// Waits (bounded: `tries` x 10 ms) until `pred` holds.
template <class Pred>
bool eventually(Pred pred, int tries = 1000) {
  for (int i = 0; i < tries; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Waits (bounded) until `pred` holds for the node's state of `account`.
template <class Pred>
bool eventually(Core& core, const std::string& account, Pred pred, int tries = 1000) {
  return eventually([&] {
    auto s = core.account_state(account);
    return s && pred(*s);
  }, tries);
}

}  // namespace qg::test
