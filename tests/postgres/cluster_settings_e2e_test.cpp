// tests/postgres/cluster_settings_e2e_test.cpp — nodes with different `router:` sections on one
// PostgreSQL log (docs/EVENT_LOG.md §7.4 "Each node's router settings"): the real binary, three
// processes started and restarted in turn. A node's file writes a setting only when its value
// changed since that node's file last gave it (or, on a node new to the key, when it is neither
// the built-in default nor what the nodes' files last gave); a runtime change through the admin
// API is the cluster's and no restart undoes it. A single node's SQLite log moved in with
// `quotaguard migrate` counts its file's values as the migrating node's (§7.2, §7.4).
#include "persistence/database.hpp"
#include "persistence/postgres_event_log.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace qg::test;

namespace {

// `policy` "" = no router: section at all.
std::string node_yaml(const std::string& node, const std::string& policy) {
  std::string y = "storage:\n  backend: postgres\n  postgres: {node_id: " + node + "}\naccounts: []\n";
  if (!policy.empty()) y += "router:\n  policy: " + policy + "\n";
  return y;
}

DaemonOptions node_options(const std::string& dsn, const std::string& node, const std::string& policy) {
  return DaemonOptions().config(node_yaml(node, policy)).set_env("QUOTAGUARD_POSTGRES_DSN", dsn);
}

// Sets the policy through the admin API of a running node.
void put_policy(const DaemonProcess& d, const std::string& policy) {
  httplib::Client admin(d.host(), d.port());
  auto put = admin.Put("/api/v1/policy", R"({"policy":")" + policy + R"("})", "application/json");
  REQUIRE(put);
  CHECK(put->status == 200);
}

// The policy in force on a running node (GET /api/v1/policy).
std::string policy_of(const DaemonProcess& d) {
  auto body = nlohmann::json::parse(d.get("/api/v1/policy").body, nullptr, false);
  return body.is_object() ? body.value("policy", "?") : "?";
}

// Starts the node, reads the policy in force there, stops it cleanly (its start-up config sync
// has written what it writes).
std::string run_node(const std::string& dsn, const std::string& node, const std::string& policy) {
  DaemonProcess d(node_options(dsn, node, policy));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << "\n" << d.stderr_text());
  const std::string in_force = policy_of(d);
  CHECK(d.stop() == 0);
  return in_force;
}

// The log's router.policy SettingChanged events in order, as "value by node (source)".
std::vector<std::string> policy_events(const std::string& dsn) {
  qg::PostgresConfig c;
  c.dsn = dsn;
  c.node_id = "test";
  auto log = qg::PostgresEventLog::open(c, qg::OpenMode::read_only);
  std::vector<std::string> out;
  log->scan({}, [&](const qg::EventRow& row) {
    if (row.type != "SettingChanged") return true;
    auto data = nlohmann::json::parse(row.data, nullptr, false);
    if (data.value("key", "") != "router.policy") return true;
    auto value = nlohmann::json::parse(data.value("value", "null"), nullptr, false);
    out.push_back((value.is_string() ? value.get<std::string>() : "?") + " by " + std::string(row.node) + " (" +
                  data.value("source", "") + ")");
    return true;
  });
  return out;
}

using Events = std::vector<std::string>;

// Runs the nodes (id, its file's policy) one after the other; at each the policy in force is
// `in_force`.
void run_in_turn(const std::string& dsn, const std::vector<std::pair<std::string, std::string>>& nodes,
                 const std::string& in_force) {
  for (const auto& [node, policy] : nodes) {
    CAPTURE(node);
    CHECK(run_node(dsn, node, policy) == in_force);
  }
}

}  // namespace

TEST_CASE("cluster settings: restarting nodes whose router sections differ never flips the cluster's settings nor undoes a runtime change") {
  const std::string dsn = shared_postgres().create_database();
  CHECK(run_node(dsn, "n1", "fill_first") == "fill_first");
  // n2 joins with a policy no file gave yet: its file applies, for every node, once.
  CHECK(run_node(dsn, "n2", "round_robin") == "round_robin");
  // n3 has no router: section: it changes nothing (before: it reset the policy to balanced).
  CHECK(run_node(dsn, "n3", "") == "round_robin");
  const Events joined{"fill_first by n1 (config)", "round_robin by n2 (config)"};
  CHECK(policy_events(dsn) == joined);

  // Restarts, in any order, write nothing (before: each node wrote its own file's policy back).
  run_in_turn(dsn, {{"n1", "fill_first"}, {"n3", ""}, {"n2", "round_robin"}, {"n1", "fill_first"}}, "round_robin");
  CHECK(policy_events(dsn) == joined);

  // A runtime change on one node is the cluster's; no restart undoes it.
  {
    DaemonProcess d(node_options(dsn, "n1", "fill_first"));
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why << "\n" << d.stderr_text());
    put_policy(d, "paced");
    CHECK(policy_of(d) == "paced");
    CHECK(d.stop() == 0);
  }
  // n4: a node added with n1's file.
  run_in_turn(dsn, {{"n2", "round_robin"}, {"n3", ""}, {"n1", "fill_first"}, {"n4", "fill_first"}}, "paced");
  Events expected = joined;
  expected.push_back("paced by n1 (admin)");
  CHECK(policy_events(dsn) == expected);

  // n2's file edited: its next start applies the new value (as a file edit on one node does);
  // the others' restarts keep it.
  run_in_turn(dsn, {{"n2", "earliest_reset"}, {"n1", "fill_first"}, {"n3", ""}}, "earliest_reset");
  expected.push_back("earliest_reset by n2 (config)");
  CHECK(policy_events(dsn) == expected);
}

TEST_CASE("cluster settings: a single node's SQLite log migrated: its file's settings count as the migrating node's, its admin override stays in force") {
  // Recovery on PostgreSQL from the migrated rows alone, and from a migrated snapshot (the
  // SQLite node's, written at its stop).
  for (const bool snapshots : {false, true}) {
    CAPTURE(snapshots);
    TempDir dir;
    const std::string db = dir.file("single.db");
    {  // One node on SQLite: its config file gives the policy, an operator overrides it.
      DaemonProcess single(DaemonOptions().config("storage:\n  db_path: " + db +
                                                  "\naccounts: []\nrouter:\n  policy: fill_first\n"));
      std::string why;
      REQUIRE_MESSAGE(single.start(&why), why << "\n" << single.stderr_text());
      CHECK(policy_of(single) == "fill_first");
      put_policy(single, "paced");
      CHECK(single.stop() == 0);
    }
    if (!snapshots) qg::Database::open({db})->exec("DELETE FROM snapshots");
    const std::string dsn = shared_postgres().create_database();
    const std::string n1_config = dir.write("n1.yaml", node_yaml("n1", "fill_first"));
    auto migrated = run_quotaguard({"migrate", "--from", db, "--config", n1_config},
                                   RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
    REQUIRE_MESSAGE(migrated.exit_code == 0, migrated.err);
    CHECK_MESSAGE((migrated.out.find(" and 0 snapshot(s) ") == std::string::npos) == snapshots, migrated.out);
    Events expected{"fill_first by n1 (config)", "paced by n1 (admin)"};
    REQUIRE(policy_events(dsn) == expected);

    // The node started on the cluster with the same file writes nothing and keeps the override;
    // so do a node added with that file and one with no router: section.
    run_in_turn(dsn, {{"n1", "fill_first"}, {"n2", "fill_first"}, {"n3", ""}}, "paced");
    CHECK(policy_events(dsn) == expected);

    // A node with a different file: new to the key, with a value neither the built-in default
    // nor any node's file gives, its file applies once (quota/config_sync.hpp); restarts keep it.
    run_in_turn(dsn, {{"n4", "round_robin"}, {"n1", "fill_first"}, {"n4", "round_robin"}}, "round_robin");
    expected.push_back("round_robin by n4 (config)");
    CHECK(policy_events(dsn) == expected);
  }
}
