// tests/postgres/cluster_follow_test.cpp — what a live node takes from the other nodes' events
// on one PostgreSQL log (issue 19, docs/EVENT_LOG.md §7.4), two real Cores in one process:
//   - router events: a threshold or policy set through one node's admin operations, and its
//     sticky route choices (RouteSwitched), are in effect on the other node's live router
//     within the tailing interval (not only after its restart), through the same pure apply
//     as replay;
//   - accounts another node added at runtime: this node spawns their actor when following
//     reaches their first event, so their quota state is current here; it routes to them only
//     when it holds their credentials itself.
#include "actors/control/core.hpp"
#include "messages/operations.hpp"
#include "tests/postgres/cluster_nodes.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;

TEST_CASE("cluster follow: thresholds, policy and sticky choices set on one node are in effect on the other's live router") {
  const std::string dsn = test::shared_postgres().create_database();
  test::ClusterNode a(test::node_config(dsn, "a", 1000)), b(test::node_config(dsn, "b", 1000));
  auto explain_b = [&] { return b.core->operations().explain_route("gpt-4o", "", Dialect::chat); };
  REQUIRE(explain_b().ok());
  REQUIRE(explain_b().value.thresholds.switch_at != 55);
  REQUIRE(explain_b().value.policy != RoutePolicy::fill_first);

  REQUIRE(a.core->operations().put_setting("thresholds", {{"warning", 45}, {"switch", 55}, {"critical", 65}}, "test").ok());
  REQUIRE(a.core->operations().put_setting("policy", {{"policy", "fill_first"}}, "test").ok());
  // b's live router, through its route explain (GET /api/v1/route) and its settings view.
  CHECK(test::eventually([&] {
    const auto e = explain_b();
    return e.ok() && e.value.thresholds.switch_at == 55 && e.value.thresholds.critical == 65 &&
           e.value.policy == RoutePolicy::fill_first;
  }));
  const auto view = b.core->operations().get_setting("thresholds");
  REQUIRE(view.ok());
  CHECK(b.core->router_snapshot().settings->thresholds.warning == 45);

  // a's first admission records its sticky choice (RouteSwitched ""-> acct); b's router has it.
  REQUIRE(test::reserve(*a.core).ok);
  CHECK(test::eventually([&] { return b.core->router_snapshot().sticky.count("gpt-4o") == 1; }));
  CHECK(b.core->router_snapshot().sticky["gpt-4o"] == "acct");
}

namespace {

bool excluded_as(const RouteExplanation& e, const std::string& account, const std::string& reason) {
  for (const auto& x : e.excluded)
    if (x.account == account && x.reason == reason) return true;
  return false;
}

bool candidate(const RouteExplanation& e, const std::string& account) {
  for (const auto& c : e.candidates)
    if (c.account == account) return true;
  return false;
}

}  // namespace

TEST_CASE("cluster follow: accounts another node adds at runtime get an actor here with current quota, routed to only with their credential here") {
  const std::string dsn = test::shared_postgres().create_database();
  test::TempDir auth("qg-follow-auth");
  auth.write("codex-shared.json", "{}");  // a CLIProxyAPI auth file both nodes see
  test::ClusterNode a(test::node_config(dsn, "a", 1000)), b(test::node_config(dsn, "b", 1000));

  // a registers two accounts at runtime: one with an API key only a's config holds, one
  // CLIProxyAPI account whose auth file is on this (b's) disk too.
  AccountSpec keyed;
  keyed.provider = "openai";
  keyed.base_url = "http://127.0.0.1:1/v1";
  keyed.origin = "config";
  keyed.limits = {{Metric::requests, 86'400, 50}};
  AccountSpec shared;
  shared.provider = "cliproxy";
  shared.type = "codex";
  shared.origin = "cliproxy";
  shared.file = "codex-shared.json";
  shared.auth_dir = auth.str();
  shared.limits = {{Metric::requests, 86'400, 50}};
  REQUIRE(a.core->apply_account_events({Event{0, 0, "keyed", AccountRegistered{keyed}},
                                        Event{0, 0, "shared", AccountRegistered{shared}}}).empty());
  RouteRequest pinned;
  pinned.account = "keyed";
  pinned.model = "gpt-4o";
  pinned.estimate = Usage{1, 10, 10};
  pinned.ttl_ms = 600'000;
  for (int i = 0; i < 3; ++i) REQUIRE(a.core->route(pinned).ok);

  // b has an actor for each, with the quota a spent on it.
  CHECK(test::eventually(*b.core, "keyed", [](const AccountState& s) {
    return s.counters.created == 3 && s.reservations.size() == 3 && s.spec.provider == "openai";
  }));
  CHECK(test::eventually(*b.core, "shared", [](const AccountState& s) { return s.spec.provider == "cliproxy"; }));
  CHECK(b.core->directory().spec("keyed").has_value());
  // b routes to the CLIProxyAPI account (its auth file is here), never to the keyed one.
  RouteExplanation e;
  CHECK(test::eventually([&] {
    auto x = b.core->operations().explain_route("gpt-4o", "", Dialect::chat);
    e = x.value;
    return x.ok() && excluded_as(e, "keyed", "not_served_here") && candidate(e, "shared");
  }));
  CHECK_FALSE(candidate(e, "keyed"));
  // And b's own reservations against it count on a (b accounts for it: pinned advisory reserve).
  pinned.ttl_ms = 600'000;
  REQUIRE(b.core->route(pinned).ok);
  CHECK(test::eventually(*a.core, "keyed", [](const AccountState& s) { return s.counters.created == 4; }));
}
