// tests/postgres/postgres_replay_test.cpp — `quotaguard replay` reads the PostgreSQL log exactly
// as it reads the SQLite one: the same log in both prints the same text, JSON, filtered output
// and verify verdict, and the same damage (a deleted row, a corrupted snapshot) is reported
// with the same violations.
#include "persistence/event_store.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/replay.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <sstream>

using namespace qg;

namespace {

// The same random log of 600 events, with snapshots at seq 200, 400 and 600, in `log`.
void build_log(EventLog& log) { test::fill_random_log(log, 11, 12, 50, 200); }

struct Output {
  int rc;
  std::string out, err;
  bool operator==(const Output&) const = default;
};

Output replay(const StorageConfig& storage, ReplayOptions o) {
  o.storage = storage;
  std::ostringstream out, err;
  const int rc = run_replay(o, out, err);
  return {rc, out.str(), err.str()};
}

struct Pair {
  test::TempDir dir;
  StorageConfig sqlite, postgres;
  std::string pg_database;
  Pair() {
    sqlite.db_path = dir.file("q.db");
    postgres.backend = StorageBackend::postgres;
    postgres.postgres.dsn = test::shared_postgres().create_database();
    postgres.postgres.node_id = "n1";
    const auto& dsn = postgres.postgres.dsn;
    pg_database = dsn.substr(dsn.rfind('/') + 1, dsn.find('?') - dsn.rfind('/') - 1);
    build_log(*open_event_log(sqlite, OpenMode::read_write));
    build_log(*open_event_log(postgres, OpenMode::read_write));
  }
  // Runs `sql` on both logs.
  void damage(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(sqlite.db_path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    test::shared_postgres().exec(sql, pg_database);
  }
};

}  // namespace

TEST_CASE("replay prints the same log the same way from SQLite and PostgreSQL") {
  Pair logs;
  std::vector<ReplayOptions> modes(5);
  modes[1].json = true;
  modes[2].json = true;
  modes[2].events_only = true;
  modes[2].account = "acct-2";
  modes[2].since = "100";
  modes[2].until = "300";
  modes[3].verify = true;
  modes[4].verify = true;
  modes[4].json = true;
  for (const auto& mode : modes) {
    const Output a = replay(logs.sqlite, mode), b = replay(logs.postgres, mode);
    CHECK(a.rc == 0);
    CHECK(a == b);
  }
  const Output verdict = replay(logs.postgres, modes[3]);
  CHECK(verdict.out == "verify: ok - 600 events, " + verdict.out.substr(verdict.out.find(", ") + 2));
}

TEST_CASE("replay --verify reports the same violations in PostgreSQL as in SQLite") {
  Pair logs;
  logs.damage("DELETE FROM events WHERE seq = 300");
  logs.damage("UPDATE snapshots SET checksum = '0000000000000000' WHERE seq = 400");
  ReplayOptions verify;
  verify.verify = true;
  const Output a = replay(logs.sqlite, verify), b = replay(logs.postgres, verify);
  CHECK(b.rc == 1);
  CHECK(b.out.find("seq 301: ") != std::string::npos);
  CHECK(b.out.find("seq 400: ") != std::string::npos);
  CHECK(a == b);
}
