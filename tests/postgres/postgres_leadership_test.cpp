// tests/postgres/postgres_leadership_test.cpp — persistence/leadership.hpp on a real server,
// without daemons: of two nodes one holds the duties, the other takes them over when the
// holder stops (lock freed with its connection) and when the server ends the holder's session
// (pg_terminate_backend: the holder's probe finds its lock gone and steps down); both beat into
// the nodes table. Waits are bounded polls, never timed assertions.
#include "persistence/leadership.hpp"
#include "persistence/postgres_event_log.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

using namespace qg;

namespace {

std::shared_ptr<Leadership> join(const std::string& dsn, const std::string& node) {
  LeadershipOptions o;
  o.node = node;
  o.address = "127.0.0.1:1";
  o.timing = LeaderTiming{200, 200, 200};
  return Leadership::postgres(PgOptions{dsn, false, std::chrono::milliseconds(2000)}, o);
}

bool eventually(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace

TEST_CASE("leadership: one holder, takeover when it stops or its session is terminated, heartbeats in nodes") {
  auto& pg = test::shared_postgres();
  const std::string dsn = pg.create_database();
  PostgresConfig config;
  config.dsn = dsn;
  PostgresEventLog::open(config, OpenMode::read_write);  // the schema, as serve creates it

  auto a = join(dsn, "a");
  auto b = join(dsn, "b");
  CHECK(a->holding());  // decided before postgres() returned
  CHECK_FALSE(b->holding());
  std::atomic<int> elected_b{0}, deposed_b{0};
  b->subscribe([&](bool holding) { ++(holding ? elected_b : deposed_b); });
  CHECK(elected_b == 0);  // not holding: no call at subscribe

  REQUIRE(eventually([&] { return b->view().nodes.size() == 2; }));
  ClusterView v = b->view();
  CHECK(v.backend == "postgres");
  CHECK(v.node == "b");
  CHECK(v.nodes[0].node == "a");
  CHECK(v.nodes[0].duties);
  CHECK(v.nodes[0].live);
  CHECK(v.nodes[0].address == "127.0.0.1:1");
  CHECK_FALSE(v.nodes[1].duties);

  // The holder stops: its connection closes, b takes over.
  a->stop();
  // holding() turns true before the subscribers are called (Leadership::round): wait for both.
  REQUIRE(eventually([&] { return b->holding() && elected_b == 1; }));
  CHECK(deposed_b == 0);
  REQUIRE(eventually([&] {
    const auto nodes = b->view().nodes;
    return nodes.size() == 2 && nodes[0].node == "b" && nodes[0].duties && !nodes[1].duties;
  }));

  // A third node joins as a follower; the server ends b's session: b steps down, c takes over.
  auto c = join(dsn, "c");
  CHECK_FALSE(c->holding());
  pg.exec("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = " +
              std::to_string(kDutiesLock) + " AND granted",
          dsn.substr(dsn.rfind('/') + 1, dsn.find('?') - dsn.rfind('/') - 1));
  REQUIRE(eventually([&] { return deposed_b == 1; }));
  REQUIRE(eventually([&] { return b->holding() != c->holding(); }));
  CHECK((b->holding() || c->holding()));
  b->stop();
  c->stop();
  CHECK_FALSE(b->holding());
}

TEST_CASE("leadership: one node on SQLite always holds the duties and lists itself") {
  LeadershipOptions o;
  o.node = "solo";
  o.address = "127.0.0.1:8318";
  auto l = Leadership::single_node(o);
  CHECK(l->holding());
  int calls = 0;
  l->subscribe([&](bool holding) { calls += holding ? 1 : 100; });
  CHECK(calls == 1);
  const ClusterView v = l->view();
  CHECK(v.backend == "sqlite");
  CHECK(v.duties);
  REQUIRE(v.nodes.size() == 1);
  CHECK(v.nodes[0].node == "solo");
  CHECK(v.nodes[0].live);
  CHECK(v.nodes[0].duties);
  l->stop();
}
