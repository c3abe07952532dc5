// tests/postgres/postgres_backup_test.cpp — RUNBOOK.md "Back up and restore (PostgreSQL)", the
// commands as shown: pg_dump --format=custom of a log a daemon wrote, createdb, pg_restore
// --no-owner into the new database, then `quotaguard replay --verify` and `quotaguard check`
// against the restored copy (same events, same last seq, schema version 2).
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>

using qg::test::DaemonOptions;
using qg::test::DaemonProcess;
using qg::test::RunOptions;
using qg::test::run_quotaguard;

namespace {

// Runs `command` under sh with the DSNs exported as the RUNBOOK's commands expect them.
int sh(const std::string& command, const std::string& dsn, const std::string& restored, const std::string& dir) {
  const std::string bin = qg::test::postgres_bin_dir();
  const std::string line = "cd '" + dir + "' && PATH='" + bin + "':\"$PATH\" QUOTAGUARD_POSTGRES_DSN='" + dsn +
                           "' RESTORED_DSN='" + restored + "' sh -c '" + command + "' >>commands.log 2>&1";
  return std::system(line.c_str());
}

}  // namespace

TEST_CASE("RUNBOOK backup and restore on PostgreSQL: pg_dump, createdb, pg_restore, replay --verify, check") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = pg.create_database();
  DaemonProcess d(DaemonOptions()
                      .config("storage:\n  backend: postgres\n  postgres: {node_id: backup-node}\n"
                              "accounts:\n  - {id: acct-a, provider: openai, api_key: sk-backup-1, "
                              "base_url: \"http://127.0.0.1:9/v1\"}\n")
                      .set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), (why + d.stderr_text()));
  CHECK(d.post("/api/v1/accounts/acct-a/drain", "{}").status == 200);

  qg::test::TempDir dir("qg-pg-backup");
  const std::string restored_name = "restored_" + std::to_string(::getpid());
  const std::string restored = dsn.substr(0, dsn.rfind('/') + 1) + restored_name;
  // Online, while the daemon runs.
  REQUIRE(sh("pg_dump --format=custom --file=quotaguard-2026-11-29.dump \"$QUOTAGUARD_POSTGRES_DSN\"", dsn,
             restored, dir.path().string()) == 0);
  REQUIRE(d.stop() == 0);
  REQUIRE(sh("createdb --maintenance-db=\"$QUOTAGUARD_POSTGRES_DSN\" " + restored_name, dsn, restored,
             dir.path().string()) == 0);
  REQUIRE(sh("pg_restore --no-owner --dbname=\"$RESTORED_DSN\" quotaguard-2026-11-29.dump", dsn, restored,
             dir.path().string()) == 0);

  RunOptions env = RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", restored);
  auto verify = run_quotaguard({"replay", "--verify", "--config", d.config_path()}, env);
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
  CHECK(verify.out.rfind("verify: ok - 2 events", 0) == 0);  // AccountRegistered, AccountDrained
  auto check = run_quotaguard({"check", "--config", d.config_path()}, env);
  CHECK_MESSAGE(check.out.find("schema version 2, last seq 2") != std::string::npos, check.out);
  CHECK(check.out.find(restored_name) != std::string::npos);
}
