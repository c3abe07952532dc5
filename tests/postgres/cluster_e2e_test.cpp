// tests/postgres/cluster_e2e_test.cpp — three nodes (the real binary, three processes on
// loopback) on one PostgreSQL log, a fake provider that counts what it served (issue 19
// acceptance, items 2 and 3):
//   - shared quota: concurrent clients on all three nodes against accounts with small limits;
//     the provider serves exactly the limits in total, never more; every 200's reservation is
//     committed exactly once in the log; every other answer is the normal 429;
//   - a node's death: kill -9 of one node under load; the others keep serving, the dead node's
//     open reservations expire exactly once (written by the survivors), `replay --verify` over
//     the whole log is clean, and the node restarts and catches up with the others;
//   - a live node's slow request: a stream that outlives its reservation's TTL keeps the
//     reservation (the duty holder on another node spares a live node's reservations) and is
//     committed once, never expired.
// Short mode (CI): 3 x 4 clients, 3 s of load against the limits, ~9 s around the kill.
// QG_CLUSTER_LONG=1 (`make test-cluster-long`): 3 x 20 = 60 clients, 20 s each.
#include "persistence/postgres_event_log.hpp"
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace qg::test;

namespace {

bool cluster_long() {
  const char* v = std::getenv("QG_CLUSTER_LONG");
  return v && std::string(v) == "1";
}
int clients_per_node() { return cluster_long() ? 20 : 4; }
std::chrono::seconds load_time() { return std::chrono::seconds(cluster_long() ? 20 : 3); }

// A quota window (seconds) whose aligned reset (quota windows reset at multiples of their
// length since the epoch) is more than `margin` away: a test's load must not straddle a reset,
// which grants the limits again (a 1h window across hh:00 served twice the limits once).
std::int64_t window_not_resetting_within(std::chrono::seconds margin) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  for (std::int64_t w : {3600, 5400, 6000, 7000})  // their resets coincide only every 105 h
    if ((now / w + 1) * w - now > margin.count()) return w;
  return 7200 * 7;
}

// `ttl`: reservations.ttl. A node expires its own reservations at the TTL unless a request
// still holds them; another node's only once that node is gone (quota/expiry_sweep.hpp).
std::string node_config(const std::string& node, int fake_port, std::int64_t limit, const std::string& ttl = "1s") {
  const std::string base = "http://127.0.0.1:" + std::to_string(fake_port) + "/v1";
  // The same window on each node of a test: the nodes start within seconds of each other.
  static const std::int64_t window_s = window_not_resetting_within(std::chrono::minutes(10));
  const std::string limits = "limits: [{metric: requests, window: " + std::to_string(window_s) + "s, limit: " +
                             std::to_string(limit) + "}]";
  return "storage:\n  backend: postgres\n  postgres: {node_id: " + node + "}\n"
         "reservations:\n  ttl: " + ttl + "\n"
         "accounts:\n"
         "  - {id: a1, provider: openai, base_url: \"" + base + "\", api_key: \"sk-cluster-1\", " + limits + "}\n"
         "  - {id: a2, provider: openai, base_url: \"" + base + "\", api_key: \"sk-cluster-2\", " + limits + "}\n";
}

std::unique_ptr<DaemonProcess> start_node(const std::string& yaml, const std::string& dsn) {
  auto d = std::make_unique<DaemonProcess>(DaemonOptions().config(yaml).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d->start(&why), why << "\n" << d->stderr_text());
  return d;
}

// The log per reservation id, read with the library (a read-only connection).
struct Tally {
  std::map<std::string, int> created, committed, expired, released;
  std::map<std::string, std::string> created_by;  // id -> node
  std::uint64_t events = 0;
};

Tally tally(const std::string& dsn) {
  qg::PostgresConfig c;
  c.dsn = dsn;
  c.node_id = "test";
  auto log = qg::PostgresEventLog::open(c, qg::OpenMode::read_only);
  Tally t;
  log->scan({}, [&](const qg::EventRow& row) {
    ++t.events;
    const qg::Event e = qg::decode_row(row, nullptr);
    if (const auto* x = std::get_if<qg::ReservationCreated>(&e.payload)) {
      ++t.created[x->id];
      t.created_by[x->id] = std::string(row.node);
    }
    if (const auto* x = std::get_if<qg::ReservationCommitted>(&e.payload)) ++t.committed[x->id];
    if (const auto* x = std::get_if<qg::ReservationExpired>(&e.payload)) ++t.expired[x->id];
    if (const auto* x = std::get_if<qg::ReservationReleased>(&e.payload)) ++t.released[x->id];
    return true;
  });
  for (const auto& [id, n] : t.created) {
    CHECK_MESSAGE(n == 1, id);
    const int resolved = t.committed[id] + t.expired[id] + t.released[id];
    CHECK_MESSAGE(resolved <= 1, id << " resolved " << resolved << " times");
  }
  return t;
}

std::int64_t served_requests(int fake_port) {
  return nlohmann::json::parse(http_get("127.0.0.1", fake_port, "/_served").body)["total"].value("requests", -1);
}

int verify(const std::string& dsn, const std::string& config_path, std::string* out) {
  auto r = run_quotaguard({"replay", "--verify", "--config", config_path},
                          RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  *out = r.out + r.err;
  return r.exit_code;
}

// GET /api/v1/accounts as {account id -> counters object}.
std::map<std::string, nlohmann::json> counters(const DaemonProcess& d) {
  std::map<std::string, nlohmann::json> out;
  auto j = nlohmann::json::parse(d.get("/api/v1/accounts").body, nullptr, false);
  if (j.is_discarded()) return out;
  const auto& list = j.is_array() ? j : j["accounts"];
  for (const auto& a : list)
    if (a.contains("id")) out[a["id"].get<std::string>()] = a.value("counters", nlohmann::json{});
  return out;
}

}  // namespace

TEST_CASE("cluster e2e: three nodes, one database, concurrent clients against small limits: the provider serves exactly the limits") {
  const std::string dsn = shared_postgres().create_database();
  FakeProviderProcess fake({});
  constexpr std::int64_t kLimit = 30;  // per account, two accounts
  std::vector<std::unique_ptr<DaemonProcess>> nodes;
  for (const char* id : {"n1", "n2", "n3"}) nodes.push_back(start_node(node_config(id, fake.port(), kLimit, "60s"), dsn));
  std::vector<std::unique_ptr<ClientLoad>> loads;
  for (auto& n : nodes) loads.push_back(std::make_unique<ClientLoad>(n->port(), clients_per_node(), 0));
  std::this_thread::sleep_for(load_time());
  std::vector<RequestOutcome> all;
  std::vector<int> answered_by_node;  // 200s and 429s per node
  for (auto& l : loads) {
    auto o = l->stop();
    answered_by_node.push_back(static_cast<int>(
        std::count_if(o.begin(), o.end(), [](const RequestOutcome& x) { return x.status == 200 || x.status == 429; })));
    all.insert(all.end(), o.begin(), o.end());
  }
  std::map<int, int> statuses;
  std::set<std::string> ok_reservations;
  for (const auto& o : all) {
    ++statuses[o.status];
    if (o.status == 200) {
      CHECK(o.complete);
      ok_reservations.insert(o.reservation);
    }
  }
  MESSAGE("answers: " << all.size() << ", 200: " << statuses[200] << ", 429: " << statuses[429]);
  for (const auto& o : all)
    if (o.status != 200 && o.status != 429)
      MESSAGE("answer " << o.status << " reservation " << o.reservation << ": " << o.body.substr(0, 300));
  CHECK(statuses[200] == 2 * kLimit);
  CHECK(statuses[200] + statuses[429] == static_cast<int>(all.size()));  // nothing but 200 and 429
  CHECK(served_requests(fake.port()) == 2 * kLimit);  // exactly the limits, never more

  for (auto& n : nodes) CHECK(n->stop() == 0);  // a clean stop: every commit is in the log
  const Tally t = tally(dsn);
  CHECK(t.created.size() == static_cast<std::size_t>(2 * kLimit));
  for (const auto& id : ok_reservations) {
    auto n = [&](const std::map<std::string, int>& m) { return m.count(id) ? m.at(id) : 0; };
    CHECK_MESSAGE(n(t.committed) == 1, id << " answered 200, in the log: created by " << (t.created_by.count(id) ? t.created_by.at(id) : "-") << ", committed "
                                          << n(t.committed) << ", expired " << n(t.expired) << ", released " << n(t.released));
  }
  // The limits were shared, not granted per node: every node answered its clients (admitted
  // or refused against what all had spent) and together they admitted exactly the limits.
  // Which nodes admitted is not asserted: the limits go in well under a second, and on a
  // loaded machine one node's clients may spend them before the others' start (2 runs in 11
  // under a parallel build; concurrent admission on two nodes has its own test,
  // postgres_cluster_test.cpp).
  for (std::size_t i = 0; i < answered_by_node.size(); ++i)
    CHECK_MESSAGE(answered_by_node[i] > 0, "node n" << i + 1 << " answered none of its clients");
  std::set<std::string> nodes_seen;
  for (const auto& [id, node] : t.created_by) nodes_seen.insert(node);
  MESSAGE("nodes that admitted: " << nodes_seen.size());
  std::string out;
  CHECK_MESSAGE(verify(dsn, nodes[0]->config_path(), &out) == 0, out);
}

TEST_CASE("cluster e2e: kill -9 of one node under load: the others keep serving, its reservations expire once, the log verifies, it catches up") {
  const std::string dsn = shared_postgres().create_database();
  FakeProviderProcess fake({"--chunk-delay-ms", "20"});
  std::vector<std::unique_ptr<DaemonProcess>> nodes;
  for (const char* id : {"n1", "n2", "n3"}) nodes.push_back(start_node(node_config(id, fake.port(), 1'000'000, "2s"), dsn));
  std::vector<std::unique_ptr<ClientLoad>> loads;
  for (auto& n : nodes) loads.push_back(std::make_unique<ClientLoad>(n->port(), clients_per_node(), 2));
  std::this_thread::sleep_for(load_time() / 2);
  nodes[2]->kill_now();
  const auto dead_outcomes = loads[2]->stop();
  // The survivors keep serving.
  std::vector<std::size_t> before;
  for (int i = 0; i < 2; ++i) before.push_back(static_cast<std::size_t>(loads[i]->sent()));
  // Past the dead node's expiries: the duty holder expires a gone node's reservations once
  // their TTL (2 s) passed and its heartbeat is 3 s old, sweeping every second.
  std::this_thread::sleep_for(load_time() / 2 + std::chrono::seconds(6));
  std::vector<RequestOutcome> survivors;
  for (int i = 0; i < 2; ++i) {
    auto o = loads[i]->stop();
    CHECK(static_cast<std::size_t>(loads[i]->sent()) > before[i]);
    survivors.insert(survivors.end(), o.begin(), o.end());
  }
  int ok = 0;
  for (const auto& o : survivors) {
    CHECK_MESSAGE((o.status == 200 && o.complete), o.status << " " << o.body);
    ok += o.status == 200;
  }
  MESSAGE("survivors answered " << survivors.size() << " (" << ok << " x 200); the killed node " << dead_outcomes.size());

  // The dead node's open reservations: expired exactly once, by a survivor.
  const Tally t = tally(dsn);
  int open_of_dead = 0;
  for (const auto& [id, node] : t.created_by) {
    if (node != "n3") continue;
    const int c = t.committed.count(id) ? t.committed.at(id) : 0;
    const int e = t.expired.count(id) ? t.expired.at(id) : 0;
    const int r = t.released.count(id) ? t.released.at(id) : 0;
    if (c + r == 0) {
      ++open_of_dead;
      CHECK_MESSAGE(e == 1, id << " expired " << e << " times");
    }
  }
  MESSAGE(open_of_dead << " reservation(s) of the killed node expired by the others");
  for (const auto& o : survivors) CHECK_MESSAGE(t.committed.count(o.reservation) == 1, o.reservation);
  std::string out;
  CHECK_MESSAGE(verify(dsn, nodes[0]->config_path(), &out) == 0, out);

  // Restarted, the node catches up: it recovers the whole log and counts what the others do.
  nodes[2] = start_node(node_config("n3", fake.port(), 1'000'000, "2s"), dsn);
  auto reference = counters(*nodes[0]);
  bool same = false;
  for (int i = 0; i < 200 && !same; ++i) {
    same = counters(*nodes[2]) == reference && !reference.empty();
    if (!same) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      reference = counters(*nodes[0]);
    }
  }
  CHECK_MESSAGE(same, nodes[2]->get("/api/v1/accounts").body << "\n" << nodes[0]->get("/api/v1/accounts").body);
  // And follows live: a request on node 1 shows on node 3.
  const auto before_created = counters(*nodes[2])["a1"].value("created", 0) + counters(*nodes[2])["a2"].value("created", 0);
  REQUIRE(send_chat(nodes[0]->port(), false).status == 200);
  bool followed = false;
  for (int i = 0; i < 200 && !followed; ++i) {
    const auto c = counters(*nodes[2]);
    followed = c.count("a1") && c.at("a1").value("created", 0) + c.at("a2").value("created", 0) > before_created;
    if (!followed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(followed);
  for (auto& n : nodes) CHECK(n->stop() == 0);
  CHECK_MESSAGE(verify(dsn, nodes[0]->config_path(), &out) == 0, out);
}

TEST_CASE("cluster e2e: a stream outliving its reservation's TTL on a live node is committed, never expired by the duty holder") {
  const std::string dsn = shared_postgres().create_database();
  FakeProviderProcess fake({"--chunk-delay-ms", "500"});  // a stream of ~4 s
  // n1 starts first and holds the singleton duties (the expiry sweep of others' reservations);
  // the slow request runs on n2, with a TTL of 1 s.
  auto n1 = start_node(node_config("n1", fake.port(), 1000, "1s"), dsn);
  auto n2 = start_node(node_config("n2", fake.port(), 1000, "1s"), dsn);
  const RequestOutcome o = send_chat(n2->port(), true);
  CHECK_MESSAGE((o.status == 200 && o.complete), o.status << " " << o.body);
  REQUIRE_FALSE(o.reservation.empty());
  CHECK(n1->stop() == 0);
  CHECK(n2->stop() == 0);
  const Tally t = tally(dsn);
  REQUIRE(t.created_by.count(o.reservation) == 1);
  CHECK(t.created_by.at(o.reservation) == "n2");
  const auto count = [](const std::map<std::string, int>& m, const std::string& id) { return m.count(id) ? m.at(id) : 0; };
  CHECK(count(t.expired, o.reservation) == 0);
  CHECK(count(t.committed, o.reservation) == 1);
  std::string out;
  CHECK_MESSAGE(verify(dsn, n1->config_path(), &out) == 0, out);
}
