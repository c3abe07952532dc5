// tests/postgres/postgres_event_log_test.cpp — the PostgreSQL event log (storage.backend:
// postgres) against a real server: schema creation and refusals, rows identical to SQLite's,
// one gapless global order under two concurrent writers (a tailer never sees a hole), a
// connection the server killed comes back, statement_timeout applies, no password in any text.
#include "config/redaction.hpp"
#include "messages/event_codec.hpp"
#include "persistence/event_store.hpp"
#include "persistence/pg_connection.hpp"
#include "persistence/pg_schema.hpp"
#include "persistence/postgres_event_log.hpp"
#include "tests/persistence/sample_events.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

using namespace qg;

namespace {

PostgresConfig pg_config(const std::string& dsn, const std::string& node = "node-a") {
  PostgresConfig c;
  c.dsn = dsn;
  c.node_id = node;
  return c;
}

std::string open_error(const PostgresConfig& c, OpenMode mode) {
  try {
    PostgresEventLog::open(c, mode);
  } catch (const StorageError& e) {
    return e.what();
  }
  return {};
}

using test::rows_of;

std::vector<Event> sample_events() {
  std::vector<Event> events;
  TimeMs ts = 1'790'000'000'000;
  for (auto& p : test::sample_payloads()) events.push_back(Event{0, ts += 1000, "acct-\"q\\", std::move(p)});
  auto more = test::RandomLog(7).take(300);
  for (auto& e : more) e.ts = ts += 10;
  events.insert(events.end(), more.begin(), more.end());
  return events;
}

}  // namespace

TEST_CASE("postgres event log: a new database gets the schema, a second open finds it") {
  const std::string dsn = test::shared_postgres().create_database();
  CHECK(open_error(pg_config(dsn), OpenMode::read_only).find("is empty (no QuotaGuard event log yet)") !=
        std::string::npos);
  auto log = PostgresEventLog::open(pg_config(dsn), OpenMode::read_write);
  CHECK(log->schema_version_found() == 0);
  CHECK(log->last_seq() == 0);
  CHECK(log->snapshots().empty());
  auto again = PostgresEventLog::open(pg_config(dsn), OpenMode::read_write);
  CHECK(again->schema_version_found() == kPgSchemaVersion);
  auto reader = PostgresEventLog::open(pg_config(dsn), OpenMode::read_only);
  std::vector<Event> one{Event{0, 5, "a", AccountRemoved{"x"}}};
  CHECK_THROWS_AS(reader->append(one), StorageError);  // the server refuses writes
  CHECK(log->last_seq() == 0);
}

TEST_CASE("postgres event log: refuses a foreign events table and a newer schema, writing nothing") {
  auto& pg = test::shared_postgres();
  const std::string foreign = pg.create_database();
  const std::string foreign_db = foreign.substr(foreign.rfind('/') + 1, foreign.find('?') - foreign.rfind('/') - 1);
  pg.exec("CREATE TABLE events(x integer)", foreign_db);
  const std::string err = open_error(pg_config(foreign), OpenMode::read_write);
  CHECK(err == "storage.postgres: postgresql://qg_test@127.0.0.1:" + std::to_string(pg.port()) + "/" + foreign_db +
                   ": has an events table that QuotaGuard did not create (no quotaguard_schema table); use "
                   "another database or schema");
  auto c = PgConnection::connect({foreign, true, std::chrono::seconds{5}});
  CHECK_FALSE(pg_inspect_schema(*c).schema_table);  // nothing was created

  const std::string newer = pg.create_database();
  const std::string newer_db = newer.substr(newer.rfind('/') + 1, newer.find('?') - newer.rfind('/') - 1);
  PostgresEventLog::open(pg_config(newer), OpenMode::read_write);
  pg.exec("UPDATE quotaguard_schema SET version = 7", newer_db);
  for (auto mode : {OpenMode::read_write, OpenMode::read_only})
    CHECK(open_error(pg_config(newer), mode).find(
              ": has schema version 7, newer than this build supports (" + std::to_string(kPgSchemaVersion) +
              "); upgrade quotaguard") != std::string::npos);
}

TEST_CASE("postgres event log: rows, paging, time search and snapshots match the SQLite log") {
  test::TempDir dir;
  StorageConfig sqlite;
  sqlite.db_path = dir.file("q.db");
  StorageConfig postgres;
  postgres.backend = StorageBackend::postgres;
  postgres.postgres = pg_config(test::shared_postgres().create_database(), "node-7");
  auto a = open_event_log(sqlite, OpenMode::read_write);
  auto b = open_event_log(postgres, OpenMode::read_write);

  auto events = sample_events();
  for (std::size_t i = 0; i < events.size(); i += 100) {  // several batches
    std::vector<Event> batch(events.begin() + static_cast<long>(i),
                             events.begin() + static_cast<long>(std::min(events.size(), i + 100)));
    std::vector<Event> copy = batch;
    CHECK(a->append(batch) == b->append(copy));
    CHECK(copy.back().seq == batch.back().seq);
  }
  CHECK(b->last_seq() == events.size());
  CHECK(rows_of(*a) == rows_of(*b));
  ScanRange range;
  range.from_seq = 17;
  range.to_seq = 2500;  // more than one page of 2000 is exercised below
  CHECK(rows_of(*a, range) == rows_of(*b, range));
  range.account = "acct-\"q\\";
  CHECK(rows_of(*a, range) == rows_of(*b, range));
  const std::size_t samples = test::sample_payloads().size();  // seqs 1..samples are that account's
  CHECK(rows_of(*b, range).size() == (samples >= 17 ? samples - 16 : 0));

  const auto after_a = a->read_after(5, 7), after_b = b->read_after(5, 7);
  REQUIRE(after_b.size() == 7);
  CHECK(after_b.front().seq == 6);
  for (std::size_t i = 0; i < 7; ++i) CHECK(encode_payload(after_a[i].payload) == encode_payload(after_b[i].payload));
  for (TimeMs t : {TimeMs{0}, events[3].ts, events[3].ts + 1, events.back().ts, events.back().ts + 1})
    CHECK(a->first_seq_at_or_after(t) == b->first_seq_at_or_after(t));

  std::set<std::string> nodes;
  b->scan({}, [&](const EventRow& r) { nodes.insert(std::string(r.node)); return true; });
  CHECK(nodes == std::set<std::string>{"node-7"});

  for (std::uint64_t s : {10, 20, 30, 40, 20}) {
    a->write_snapshot(s, 99, 3, "{\"s\":" + std::to_string(s) + "}");
    b->write_snapshot(s, 99, 3, "{\"s\":" + std::to_string(s) + "}");
  }
  const auto sa = a->snapshots(), sb = b->snapshots();
  REQUIRE(sb.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(sa[i].seq == sb[i].seq);
    CHECK(sa[i].data == sb[i].data);
    CHECK(sb[i].checksum_ok());
  }
  CHECK(sb.front().seq == 40);
}

TEST_CASE("postgres event log: two nodes appending at once share one gapless order that a tailer follows") {
  const std::string dsn = test::shared_postgres().create_database();
  auto node_a = PostgresEventLog::open(pg_config(dsn, "a"), OpenMode::read_write);
  auto node_b = PostgresEventLog::open(pg_config(dsn, "b"), OpenMode::read_write);
  auto tail = PostgresEventLog::open(pg_config(dsn, "r"), OpenMode::read_only);
  constexpr int kBatches = 150;
  std::atomic<int> writers_done{0};
  auto writer = [&](PostgresEventLog& log, const std::string& account) {
    for (int i = 0; i < kBatches; ++i) {
      std::vector<Event> batch;
      for (int k = 0; k <= i % 4; ++k)
        batch.push_back(Event{0, 1000 + i, account, CooldownEnded{std::to_string(i) + "." + std::to_string(k)}});
      log.append(batch);
    }
    ++writers_done;
  };
  std::thread ta(writer, std::ref(*node_a), "acct-a"), tb(writer, std::ref(*node_b), "acct-b");
  // The tailer reads by seq while both write: whatever it sees is a prefix with no hole.
  std::uint64_t seen = 0;
  int holes = 0;
  while (writers_done.load() < 2 || seen < tail->last_seq()) {
    tail->scan(ScanRange::starting_at(seen + 1), [&](const EventRow& r) {
      if (r.seq != seen + 1) ++holes;
      seen = r.seq;
      return true;
    });
  }
  ta.join();
  tb.join();
  CHECK(holes == 0);
  const std::uint64_t total = 2 * (kBatches / 4 * (1 + 2 + 3 + 4) + (1 + 2));  // i % 4 + 1 events per batch
  CHECK(seen == total);
  CHECK(tail->last_seq() == total);
  // Each node's events are in its own order and tagged with it.
  std::map<std::string, std::vector<std::string>> by_node;
  tail->scan({}, [&](const EventRow& r) {
    by_node[std::string(r.node)].push_back(std::string(r.data));
    CHECK(std::string(r.account) == "acct-" + std::string(r.node));
    return true;
  });
  REQUIRE(by_node["a"].size() == total / 2);
  CHECK(by_node["a"].front() == "{\"reason\":\"0.0\"}");
  CHECK(by_node["b"].back() == "{\"reason\":\"149.1\"}");
}

TEST_CASE("postgres event log: a connection the server killed is opened again for the next append") {
  auto& pg = test::shared_postgres();
  const std::string dsn = pg.create_database();
  auto log = PostgresEventLog::open(pg_config(dsn), OpenMode::read_write);
  std::vector<Event> one{Event{0, 5, "a", CooldownEnded{"expired"}}};
  log->append(one);
  pg.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'quotaguard' "
          "AND datname = '" + dsn.substr(dsn.rfind('/') + 1, dsn.find('?') - dsn.rfind('/') - 1) + "'");
  std::vector<Event> two{Event{0, 6, "a", CooldownEnded{"expired"}}};
  std::string first_error;
  try {
    log->append(two);  // may fail: the server closed the connection under it
  } catch (const StorageError& e) {
    first_error = e.what();
  }
  std::vector<Event> three{Event{0, 7, "a", CooldownEnded{"expired"}}};
  log->append(three);
  CHECK(rows_of(*log).size() == (first_error.empty() ? 3u : 2u));
  CHECK(log->last_seq() == rows_of(*log).size());  // no gap either way
  if (!first_error.empty()) CHECK(first_error.rfind("storage.postgres: postgresql://qg_test@", 0) == 0);
}

TEST_CASE("postgres event log: statement_timeout bounds a statement on the server") {
  const std::string dsn = test::shared_postgres().create_database();
  auto c = PgConnection::connect({dsn, false, std::chrono::milliseconds{50}});
  std::string err;
  try {
    c->exec("SELECT pg_sleep(30)");
  } catch (const StorageError& e) {
    err = e.what();
  }
  CHECK(err.find("canceling statement due to statement timeout") != std::string::npos);
  CHECK(c->exec("SHOW statement_timeout").text(0, 0) == "50ms");
}

TEST_CASE("postgres event log: the password is in no message and is registered for redaction") {
  auto& pg = test::shared_postgres();
  const std::string dsn = pg.create_database();
  clear_secrets_for_testing();
  auto log = PostgresEventLog::open(pg_config(dsn), OpenMode::read_write);
  CHECK(log->describe().find(pg.password()) == std::string::npos);
  CHECK(log->describe().rfind("storage.postgres: postgresql://qg_test@127.0.0.1:", 0) == 0);
  CHECK(contains_secret("x " + pg.password() + " y"));
  CHECK(redact("pw=" + pg.password()) == "pw=***");

  // A wrong password and a missing database: libpq's reason, never the DSN's password.
  const std::string port = std::to_string(pg.port());
  for (const std::string bad : {"postgresql://qg_test:wrong-secret-pw@127.0.0.1:" + port + "/postgres",
                                "host=127.0.0.1 port=" + port + " user=qg_test password=" + pg.password() +
                                    " dbname=nope"}) {
    const std::string err = open_error(pg_config(bad), OpenMode::read_write);
    CHECK(err.rfind("storage.postgres: postgresql://qg_test@127.0.0.1:" + port + "/", 0) == 0);
    CHECK(err.find("wrong-secret-pw") == std::string::npos);
    CHECK(err.find(pg.password()) == std::string::npos);
    CHECK(err.find('\n') == std::string::npos);
  }
  clear_secrets_for_testing();
}
