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
