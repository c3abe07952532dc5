// The switch behind `make test-postgres` (tests/support/test_storage.hpp), checked through the
// binary: a daemon and the one-shot commands run over its log meet the same log, on the backend
// QG_TEST_STORAGE names — so a green `make test-postgres` really ran on PostgreSQL.
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_storage.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace qg::test;

TEST_CASE("test storage: the daemon and replay --db of its log run on the backend QG_TEST_STORAGE names") {
  TempDir data("qg-test-storage");
  const std::string db = data.file("qg.db");
  const std::string where = postgres_storage() ? "event log: storage.postgres: postgresql://"
                                               : "event log: storage.db_path: " + db;
  {
    DaemonProcess d(DaemonOptions().config(
        "storage: {db_path: \"" + db + "\"}\n"
        "accounts:\n  - {id: a1, provider: openai, base_url: \"http://127.0.0.1:9/v1\", api_key: \"sk-ts\"}\n"));
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why);
    CHECK_MESSAGE(d.stderr_text().find(where) != std::string::npos, d.stderr_text());
    CHECK(d.stop() == 0);
  }
  // Only the SQLite run leaves a file there; the PostgreSQL run leaves a database instead.
  CHECK(std::filesystem::exists(db) == !postgres_storage());

  // The same path is the same log for a one-shot command: the account the daemon registered is there.
  auto replay = run_quotaguard({"replay", "--db", db, "--json", "--events-only"});
  REQUIRE_MESSAGE(replay.exit_code == 0, replay.err);
  CHECK_MESSAGE(replay.out.find("\"type\":\"AccountRegistered\"") != std::string::npos, replay.out);
  // Another path is another, empty log.
  auto other = run_quotaguard({"replay", "--db", data.file("other.db"), "--json", "--events-only"});
  CHECK(other.out.find("AccountRegistered") == std::string::npos);
}
