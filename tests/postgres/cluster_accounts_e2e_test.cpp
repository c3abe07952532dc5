// tests/postgres/cluster_accounts_e2e_test.cpp — nodes with different `accounts:` sections on
// one PostgreSQL log (docs/EVENT_LOG.md §7.4 "Each node's accounts"): the real binary, two
// processes. Each node registers the accounts its config lists; a node's start-up config sync
// never removes (nor rewrites) an account another node registered; an account dropped from the
// config of the node that registered it is removed.
#include "persistence/postgres_event_log.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace qg::test;

namespace {

std::string node_yaml(const std::string& node, const std::vector<std::string>& accounts) {
  std::string y = "storage:\n  backend: postgres\n  postgres: {node_id: " + node + "}\naccounts:";
  if (accounts.empty()) return y + " []\n";
  y += "\n";
  for (const auto& id : accounts)
    y += "  - {id: " + id + ", provider: openai, base_url: \"http://127.0.0.1:1/v1\", api_key: \"sk-" + id +
         "\", limits: [{metric: requests, window: 1h, limit: 10}]}\n";
  return y;
}

// Starts the node, then stops it cleanly (its start-up config sync has written what it writes).
void run_node(const std::string& dsn, const std::string& node, const std::vector<std::string>& accounts) {
  DaemonProcess d(DaemonOptions().config(node_yaml(node, accounts)).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << "\n" << d.stderr_text());
  CHECK(d.stop() == 0);
}

// Per account, its account events in log order as "Type by node".
std::map<std::string, std::vector<std::string>> account_events(const std::string& dsn) {
  qg::PostgresConfig c;
  c.dsn = dsn;
  c.node_id = "test";
  auto log = qg::PostgresEventLog::open(c, qg::OpenMode::read_only);
  std::map<std::string, std::vector<std::string>> out;
  const std::set<std::string> types{"AccountRegistered", "AccountUpdated", "AccountRemoved"};
  log->scan({}, [&](const qg::EventRow& row) {
    if (types.count(std::string(row.type)))
      out[std::string(row.account)].push_back(std::string(row.type) + " by " + std::string(row.node));
    return true;
  });
  return out;
}

using Events = std::vector<std::string>;

}  // namespace

TEST_CASE("cluster accounts: nodes with different accounts sections never remove each other's accounts, each removes its own") {
  const std::string dsn = shared_postgres().create_database();
  run_node(dsn, "n1", {"a1", "a2"});
  run_node(dsn, "n2", {"b1"});   // a node with other accounts joins
  run_node(dsn, "n1", {"a1", "a2"});  // restart each
  run_node(dsn, "n2", {"b1"});
  run_node(dsn, "n3", {});  // a node with no accounts of its own
  auto log = account_events(dsn);
  CHECK(log["a1"] == Events{"AccountRegistered by n1"});
  CHECK(log["a2"] == Events{"AccountRegistered by n1"});
  CHECK(log["b1"] == Events{"AccountRegistered by n2"});

  // n1 drops a2 from its config: a2 is removed (n1 registered it), b1 stays.
  run_node(dsn, "n1", {"a1"});
  run_node(dsn, "n2", {"b1"});
  log = account_events(dsn);
  CHECK(log["a1"] == Events{"AccountRegistered by n1"});
  CHECK(log["a2"] == Events{"AccountRegistered by n1", "AccountRemoved by n1"});
  CHECK(log["b1"] == Events{"AccountRegistered by n2"});

  // A running node lists every account of the log, its own and the others' (not routed to
  // without their credential, §7.4); the removed one as removed.
  DaemonProcess d(DaemonOptions().config(node_yaml("n2", {"b1"})).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << "\n" << d.stderr_text());
  auto body = nlohmann::json::parse(d.get("/api/v1/accounts").body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  const auto& list = body.is_array() ? body : body["accounts"];
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& a : list) by_id[a.value("id", "")] = a;
  REQUIRE(by_id.count("a1") == 1);
  REQUIRE(by_id.count("b1") == 1);
  CHECK_FALSE(by_id["a1"].value("removed", true));
  CHECK_FALSE(by_id["b1"].value("removed", true));
  CHECK(by_id["a1"].value("registered_by", "") == "n1");
  CHECK(by_id["b1"].value("registered_by", "") == "n2");
  if (by_id.count("a2")) CHECK(by_id["a2"].value("removed", false));
  CHECK(d.stop() == 0);
}
