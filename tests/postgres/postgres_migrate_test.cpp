// tests/postgres/postgres_migrate_test.cpp — `quotaguard migrate`: a SQLite log copied into an
// empty PostgreSQL log row for row (unknown event types and payload versions verbatim, the
// snapshots too, their open reservations tagged with the node), replay and --verify answer the same on both; refusals write nothing; the
// binary's command against a real server.
#include "persistence/event_store.hpp"
#include "persistence/migrate.hpp"
#include "persistence/pg_settings.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/replay.hpp"
#include "persistence/settings_store.hpp"
#include "persistence/state_codec.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace qg;

namespace {

// A SQLite log of 1,000 random events, a row of a type and version this build does not know,
// and snapshots at 400 and 800.
std::string build_sqlite(const test::TempDir& dir) {
  const std::string path = dir.file("single.db");
  auto db = std::shared_ptr<Database>(Database::open({path}));
  EventStore log(db);
  test::fill_random_log(log, 5, 10, 100, 400, 7);
  Transaction tx(*db);
  log.insert(1001, 1'790'000'000'000, "FutureEvent", "acct-x", 9, "{\"new\":\"shape\"}");
  tx.commit();
  return path;
}

std::string replay_text(const StorageConfig& storage, bool verify) {
  ReplayOptions o;
  o.storage = storage;
  o.verify = verify;
  std::ostringstream out, err;
  run_replay(o, out, err);
  return out.str();
}

int migrate(const std::string& from, const std::string& dsn, std::string* err_text = nullptr,
            std::string* out_text = nullptr) {
  MigrateOptions o;
  o.from = from;
  o.to.dsn = dsn;
  o.to.node_id = "migrated";
  o.batch = 300;
  std::ostringstream out, err;
  const int rc = run_migrate(o, out, err);
  if (err_text) *err_text = err.str();
  if (out_text) *out_text = out.str();
  return rc;
}

}  // namespace

TEST_CASE("migrate copies a SQLite log into an empty PostgreSQL log row for row") {
  test::TempDir dir;
  StorageConfig sqlite;
  sqlite.db_path = build_sqlite(dir);
  StorageConfig postgres;
  postgres.backend = StorageBackend::postgres;
  postgres.postgres.dsn = test::shared_postgres().create_database();
  std::string out;
  REQUIRE(migrate(sqlite.db_path, postgres.postgres.dsn, nullptr, &out) == 0);
  CHECK(out.rfind("migrate: 1001 events (seq 1..1001) and 2 snapshot(s) from " + sqlite.db_path +
                      " to storage.postgres: postgresql://qg_test@127.0.0.1:",
                  0) == 0);

  auto a = open_event_log(sqlite, OpenMode::read_only);
  auto b = PostgresEventLog::open(postgres.postgres, OpenMode::read_only);
  CHECK(test::rows_of(*a) == test::rows_of(*b));
  b->scan({}, [](const EventRow& r) { CHECK(r.node == "migrated"); return r.seq < 3; });
  const auto sa = a->snapshots(), sb = b->snapshots();
  REQUIRE(sb.size() == 2);
  CHECK(sb[0].seq == sa[0].seq);
  // The same state, its open reservations and its accounts' registering node tagged with the
  // node, as the rows are.
  auto copied = decode_state(sb[0].data, nullptr), source_state = decode_state(sa[0].data, nullptr);
  REQUIRE(copied);
  REQUIRE(source_state);
  std::size_t open = 0;
  for (auto& [id, account] : source_state->accounts) {
    CHECK(account.registered_by.empty());
    account.registered_by = "migrated";
    for (auto& [rid, r] : account.reservations) {
      CHECK(r.node.empty());
      r.node = "migrated";
      ++open;
    }
  }
  CHECK(open > 0);
  CHECK(*copied == *source_state);
  CHECK(sb[0].checksum_ok());
  CHECK(sb[1].seq == 400);
  for (bool verify : {false, true}) CHECK(replay_text(sqlite, verify) == replay_text(postgres, verify));
  CHECK(replay_text(postgres, true).rfind("verify: ok - 1001 events", 0) == 0);
}

TEST_CASE("migrate copies the settings rows (bot token, cursors) into the shared table, keeping the target's") {
  test::TempDir dir;
  const std::string source = build_sqlite(dir);
  {
    auto db = Database::open({source});
    SettingsStore settings(*db);
    settings.set("telegram.token", "123:secret-token-value", 1'790'000'000'000);
    settings.set("telegram.update_offset", "42", 1'790'000'000'001);
    settings.set("telegram.alert_cursor", "900", 1'790'000'000'002);
  }
  PostgresConfig target;
  target.dsn = test::shared_postgres().create_database();
  {
    // `settoken` run against the new database before the migration: its token wins.
    auto log = PostgresEventLog::open(target, OpenMode::read_write);
    auto c = PgConnection::connect({target.dsn});
    pg_put_setting(*c, "telegram.token", "456:already-there", 1);
  }
  std::string out;
  REQUIRE(migrate(source, target.dsn, nullptr, &out) == 0);
  CHECK(out.find("\nmigrate: 2 setting(s) (the Telegram bot's token and cursors) copied\n") != std::string::npos);
  CHECK(out.find("secret-token-value") == std::string::npos);
  auto c = PgConnection::connect({target.dsn});
  CHECK(pg_get_setting(*c, "telegram.token") == "456:already-there");
  CHECK(pg_get_setting(*c, "telegram.update_offset") == "42");
  CHECK(pg_get_setting(*c, "telegram.alert_cursor") == "900");
}

TEST_CASE("migrate refuses a non-empty target and a source with a gap, writing nothing") {
  test::TempDir dir;
  const std::string source = build_sqlite(dir);
  auto& pg = test::shared_postgres();
  const std::string used = pg.create_database();
  REQUIRE(migrate(source, used) == 0);
  std::string err;
  CHECK(migrate(source, used, &err) == 2);
  CHECK(err.find(": already holds 1001 events; migrate writes only into an empty log\n") != std::string::npos);

  const std::string gappy = dir.file("gappy.db");
  {
    auto db = Database::open({gappy});
    EventStore log(*db);
    auto events = test::RandomLog(3).take(10);
    log.append(events);
    db->exec("DELETE FROM events WHERE seq = 4");
  }
  const std::string fresh = pg.create_database();
  CHECK(migrate(gappy, fresh, &err) == 2);
  CHECK(err == "storage.db_path: " + gappy + ": seq 4 is missing; run quotaguard replay --verify on it first\n");
  PostgresConfig target;
  target.dsn = fresh;
  CHECK_THROWS_AS(PostgresEventLog::open(target, OpenMode::read_only), StorageError);  // still empty

  CHECK(migrate(dir.file("none.db"), fresh, &err) == 2);
  CHECK(err == "storage.db_path: " + dir.file("none.db") + " does not exist\n");
}

TEST_CASE("quotaguard migrate: the binary copies the log, replay --verify reads it from PostgreSQL") {
  test::TempDir dir;
  const std::string source = build_sqlite(dir);
  auto& pg = test::shared_postgres();
  const std::string dsn = pg.create_database();
  const std::string config = dir.write("pg.yaml", "storage: {backend: postgres}\n");
  auto env = test::RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn);
  auto r = test::run_quotaguard({"migrate", "--from", source, "--config", config}, env);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.rfind("migrate: 1001 events (seq 1..1001) and 2 snapshot(s) from " + source, 0) == 0);
  auto verify = test::run_quotaguard({"replay", "--verify", "--config", config}, env);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.rfind("verify: ok - 1001 events", 0) == 0);
  for (const auto& text : {r.out, r.err, verify.out, verify.err}) CHECK(text.find(pg.password()) == std::string::npos);

  auto none = test::run_quotaguard({"migrate", "--from", source}, test::RunOptions());
  CHECK(none.exit_code == 2);
  CHECK(none.err == "migrate: no target: pass --to DSN or set storage.postgres.dsn (QUOTAGUARD_POSTGRES_DSN)\n");
}
