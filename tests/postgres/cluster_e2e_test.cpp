// tests/postgres/cluster_e2e_test.cpp — three nodes (the real binary, three processes on
// loopback) on one PostgreSQL log, a fake provider that counts what it served (issue 19
// acceptance, items 2 and 3):
//   - shared quota: concurrent clients on all three nodes against accounts with small limits;
//     the provider serves exactly the limits in total, never more; every 200's reservation is
//     committed exactly once in the log; every other answer is the normal 429, or a 502/504
//     for an upstream that failed the request, whose reservations are all released for that
//     failure (matched by x-request-id) — made to happen by a provider that closes every 2nd
//     request's connection unanswered: it still serves exactly the limits;
//   - a node's death: kill -9 of one node under load; the others keep serving, the dead node's
//     open reservations expire exactly once (written by the survivors), `replay --verify` over
//     the whole log is clean, and the node restarts and catches up with the others;
//   - a live node's slow request: a stream that outlives its reservation's TTL keeps the
//     reservation (the duty holder on another node spares a live node's reservations) and is
//     committed once, never expired.
// Short mode (CI): 3 x 4 clients, 3 s of load against the limits (then on until the provider
// has served them, at most 30 s more), ~9 s around the kill.
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
  std::map<std::string, std::string> request_of;  // id -> the x-request-id of the request that made it
  std::map<std::string, std::string> release_reason;
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
      t.request_of[x->id] = x->request_id;
    }
    if (const auto* x = std::get_if<qg::ReservationCommitted>(&e.payload)) ++t.committed[x->id];
    if (const auto* x = std::get_if<qg::ReservationExpired>(&e.payload)) ++t.expired[x->id];
    if (const auto* x = std::get_if<qg::ReservationReleased>(&e.payload)) {
      ++t.released[x->id];
      t.release_reason[x->id] = x->reason;
    }
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

// Three nodes on one database, clients_per_node() clients each for load_time() against two
// accounts of `limit` requests each on `fake` (`extra`: more of the nodes' config); every node
// stopped cleanly afterwards.
struct SharedLimitsRun {
  std::vector<RequestOutcome> all;
  std::vector<int> answered_by_node;  // 200s and 429s per node
  Tally tally;
  std::int64_t served = -1;           // what the provider served
  int verify_exit = -1;
  std::string verify_out;
  std::string views;  // each node's view of the accounts once the load stopped, for a failure's MESSAGE
};

// A node's view of each account (GET /api/v1/accounts), one line per account: state, cooldown,
// requests in flight, its reservation counters and its requests window.
std::string account_views(const std::string& node, const DaemonProcess& d) {
  std::string out;
  auto j = nlohmann::json::parse(d.get("/api/v1/accounts").body, nullptr, false);
  if (j.is_discarded() || !j.contains("accounts")) return node + ": no account list\n";
  for (const auto& a : j["accounts"]) {
    out += node + " " + a.value("id", "?") + ": " + a.value("state", "?") + " cooldown '" +
           a.value("cooldown_reason", "") + "' in_flight " + std::to_string(a.value("in_flight", -1)) + " counters " +
           a.value("counters", nlohmann::json{}).dump();
    for (const auto& w : a.value("windows", nlohmann::json::array()))
      out += " window used " + w.value("used", nlohmann::json{}).dump() + " reserved " +
             w.value("reserved", nlohmann::json{}).dump() + " remaining " + w.value("remaining", nlohmann::json{}).dump();
    out += "\n";
  }
  return out;
}

SharedLimitsRun run_shared_limits(const FakeProviderProcess& fake, std::int64_t limit, const std::string& extra = "") {
  const std::string dsn = shared_postgres().create_database();
  std::vector<std::unique_ptr<DaemonProcess>> nodes;
  for (const char* id : {"n1", "n2", "n3"})
    nodes.push_back(start_node(node_config(id, fake.port(), limit, "60s") + extra, dsn));
  std::vector<std::unique_ptr<ClientLoad>> loads;
  for (auto& n : nodes) loads.push_back(std::make_unique<ClientLoad>(n->port(), clients_per_node(), 0));
  std::this_thread::sleep_for(load_time());
  // The load goes on until the provider has served the limits (at most 30 s more). An attempt
  // the machine slowed can hold an account's last unit past load_time() and then give it back
  // (its upstream failed: released): the clients must still be there to spend it. Seen under a
  // parallel build or test suite, 7 runs in 66 of the next case: attempts of 4.1 and 8.1 s, the
  // 3 s of load ending with 59 of 60 served, every reservation accounted for and the 60th unit
  // free on every node. A unit that never comes back (a leak) still fails `served == total`.
  const std::int64_t total = 2 * limit;  // two accounts
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (served_requests(fake.port()) < total && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SharedLimitsRun run;
  for (auto& l : loads) {
    auto o = l->stop();
    run.answered_by_node.push_back(static_cast<int>(
        std::count_if(o.begin(), o.end(), [](const RequestOutcome& x) { return x.status == 200 || x.status == 429; })));
    run.all.insert(run.all.end(), o.begin(), o.end());
  }
  run.served = served_requests(fake.port());
  for (std::size_t i = 0; i < nodes.size(); ++i) run.views += account_views("n" + std::to_string(i + 1), *nodes[i]);
  for (auto& n : nodes) CHECK(n->stop() == 0);  // a clean stop: every commit is in the log
  run.tally = tally(dsn);
  run.verify_exit = verify(dsn, nodes[0]->config_path(), &run.verify_out);
  return run;
}

// Every answer and every reservation of a run accounted for, `total` being what the limits allow:
//  - a 200 is complete and its reservation committed exactly once;
//  - an answer neither 200 nor 429 is the proxy's 502 or 504 for an upstream that failed its
//    request: the request (its x-request-id) created reservations, each released for that
//    failure (`upstream_*`), none committed;
//  - every reservation is committed (a 200's) or released for an upstream failure of a request
//    answered 200 (another account served it) or 502/504; none expired;
//  - the provider served exactly what was committed: `total`.
// Returns how many reservations were released for an upstream failure.
int account_for(const SharedLimitsRun& run, std::int64_t total) {
  const Tally& t = run.tally;
  const auto count = [](const std::map<std::string, int>& m, const std::string& id) { return m.count(id) ? m.at(id) : 0; };
  std::map<std::string, int> answer_of;                          // request id -> status
  std::map<std::string, std::vector<std::string>> reservations;  // request id -> reservation ids
  for (const auto& o : run.all) {
    CHECK_MESSAGE(!o.request_id.empty(), "an answer without x-request-id: " << o.status << " " << o.body.substr(0, 200));
    answer_of[o.request_id] = o.status;
  }
  for (const auto& [id, request] : t.request_of) reservations[request].push_back(id);
  int committed = 0, released_upstream = 0;
  for (const auto& [id, n] : t.created) {
    const std::string request = t.request_of.count(id) ? t.request_of.at(id) : "";
    const int answer = answer_of.count(request) ? answer_of.at(request) : 0;
    CHECK_MESSAGE(count(t.expired, id) == 0, id << " expired");
    if (count(t.committed, id) == 1) {
      ++committed;
      CHECK_MESSAGE(answer == 200, id << " committed, its request answered " << answer);
      continue;
    }
    const std::string reason = t.release_reason.count(id) ? t.release_reason.at(id) : "";
    CHECK_MESSAGE((count(t.released, id) == 1 && reason.rfind("upstream_", 0) == 0),
                  id << " neither committed nor released for an upstream failure (released " << count(t.released, id)
                     << " \"" << reason << "\")");
    CHECK_MESSAGE((answer == 200 || answer == 502 || answer == 504), id << " released, its request answered " << answer);
    ++released_upstream;
  }
  for (const auto& o : run.all) {
    if (o.status == 200) {
      CHECK(o.complete);
      CHECK_MESSAGE(count(t.committed, o.reservation) == 1,
                    o.reservation << " answered 200, in the log: created by "
                                  << (t.created_by.count(o.reservation) ? t.created_by.at(o.reservation) : "-")
                                  << ", committed " << count(t.committed, o.reservation) << ", expired "
                                  << count(t.expired, o.reservation) << ", released " << count(t.released, o.reservation));
    } else if (o.status != 429) {
      CHECK_MESSAGE((o.status == 502 || o.status == 504), "answer " << o.status << ": " << o.body.substr(0, 300));
      CHECK_MESSAGE(!reservations[o.request_id].empty(),
                    "answer " << o.status << " (request " << o.request_id << ") has no reservation in the log");
    }
  }
  CHECK(committed == total);
  CHECK(run.served == total);  // exactly the limits, never more
  return released_upstream;
}

}  // namespace

TEST_CASE("cluster e2e: three nodes, one database, concurrent clients against small limits: the provider serves exactly the limits") {
  FakeProviderProcess fake({});
  constexpr std::int64_t kLimit = 30;  // per account, two accounts
  const SharedLimitsRun run = run_shared_limits(fake, kLimit);
  std::map<int, int> statuses;
  for (const auto& o : run.all) ++statuses[o.status];
  MESSAGE("answers: " << run.all.size() << ", 200: " << statuses[200] << ", 429: " << statuses[429]);
  CHECK(statuses[200] == 2 * kLimit);
  // Answers other than 200 and 429 only for an upstream failure, accounted for in the log
  // (the provider on loopback refusing or closing a connection under load: the next test case).
  const int released = account_for(run, 2 * kLimit);
  MESSAGE(released << " reservation(s) released for an upstream failure, answers neither 200 nor 429: "
                   << run.all.size() - statuses[200] - statuses[429]);
  // The limits were shared, not granted per node: every node answered its clients (admitted
  // or refused against what all had spent) and together they admitted exactly the limits.
  // Which nodes admitted is not asserted: the limits go in well under a second, and on a
  // loaded machine one node's clients may spend them before the others' start (2 runs in 11
  // under a parallel build; concurrent admission on two nodes has its own test,
  // postgres_cluster_test.cpp).
  for (std::size_t i = 0; i < run.answered_by_node.size(); ++i)
    CHECK_MESSAGE(run.answered_by_node[i] > 0, "node n" << i + 1 << " answered none of its clients");
  std::set<std::string> nodes_seen;
  for (const auto& [id, node] : run.tally.created_by) nodes_seen.insert(node);
  MESSAGE("nodes that admitted: " << nodes_seen.size());
  CHECK_MESSAGE(run.verify_exit == 0, run.verify_out);
}

TEST_CASE("cluster e2e: a provider that closes some connections unanswered: each failed attempt's reservation is released, never committed, and the provider still serves exactly the limits") {
  // Every 2nd completion request's connection is closed before any answer: the proxy sees end
  // of file where the response head should be (connect_error; on a pooled connection it tries
  // a fresh one first), releases that attempt's reservation and tries the other account; a
  // request left with no account that can serve gets a 502 "Upstream failed (upstream closed
  // the connection before the response)". That is the signature of the oddity once seen in the
  // test above (4 answers neither 200 nor 429, 64 reservations for 60 served); 5-12 such 502s
  // per run here.
  FakeProviderProcess fake({"--drop-every", "2"});
  constexpr std::int64_t kLimit = 30;
  // Five failures in a row on an account would open its circuit breaker for 10 s and leave its
  // limit unspent; the breaker is not what this case is about. (The 59 of 60 served, all
  // accounted for, that runs under a loaded machine saw was a slow attempt holding the last
  // unit past the load, then released: run_shared_limits now loads until the limits are spent.)
  const SharedLimitsRun run = run_shared_limits(fake, kLimit, "router:\n  circuit_breaker: {failures: 1000}\n");
  std::map<int, int> statuses;
  for (const auto& o : run.all) ++statuses[o.status];
  const int released = account_for(run, 2 * kLimit);
  int shown = 0;
  for (const auto& o : run.all)
    if (o.status != 200 && o.status != 429 && shown++ < 3) MESSAGE("answer " << o.status << ": " << o.body.substr(0, 200));
  MESSAGE("answers: " << run.all.size() << ", 200: " << statuses[200] << ", 429: " << statuses[429] << ", other: "
                      << run.all.size() - statuses[200] - statuses[429] << "; reservations " << run.tally.created.size()
                      << ", released for an upstream failure " << released);
  MESSAGE("the nodes' views once the load stopped:\n" << run.views);
  for (auto o = run.all.rbegin(); o != run.all.rend(); ++o)
    if (o->status == 429) {
      MESSAGE("a last 429: " << o->body.substr(0, 300));
      break;
    }
  CHECK(statuses[200] == 2 * kLimit);
  CHECK(released > 0);  // the provider's drops reached the proxy as failed attempts
  CHECK(run.tally.created.size() == static_cast<std::size_t>(2 * kLimit + released));
  CHECK_MESSAGE(run.verify_exit == 0, run.verify_out);
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
