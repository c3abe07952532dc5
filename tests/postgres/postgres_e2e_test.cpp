// tests/postgres/postgres_e2e_test.cpp — the real binary on `storage.backend: postgres`: serve
// writes its events to PostgreSQL and recovers from them on restart, `replay --verify`,
// `simulate` and `check` work against the database, and the DSN's password appears in no output.
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <string>

using qg::test::DaemonOptions;
using qg::test::DaemonProcess;
using qg::test::RunOptions;
using qg::test::run_quotaguard;

TEST_CASE("serve on PostgreSQL: events in the database, restart recovers them, replay and check read them") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = pg.create_database();
  const std::string database = dsn.substr(dsn.rfind('/') + 1, dsn.find('?') - dsn.rfind('/') - 1);
  const std::string config =
      "log: {level: debug}\n"
      "server: {listen: \"127.0.0.1:9\"}\n"  // where offline commands look for a daemon: none
      "storage:\n  backend: postgres\n  postgres: {node_id: e2e-node}\n"
      "accounts:\n"
      "  - {id: acct-a, provider: openai, api_key: sk-e2e-pg-key-1234, base_url: \"http://127.0.0.1:9/v1\","
      " limits: [{metric: requests, window: 1m, limit: 5}]}\n"
      "  - {id: acct-b, provider: anthropic, api_key: sk-e2e-pg-key-5678, base_url: \"http://127.0.0.1:9/v1\"}\n";
  DaemonProcess first(DaemonOptions().config(config).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(first.start(&why), (why + first.stderr_text()));
  REQUIRE(first.stop() == 0);
  const std::string log1 = first.stderr_text();
  CHECK(log1.find("event log: storage.postgres: postgresql://qg_test@127.0.0.1:" + std::to_string(pg.port()) + "/" +
                  database) != std::string::npos);

  RunOptions env = RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn);
  const std::vector<std::string> cfg = {"--config", first.config_path()};
  auto args = [&](std::vector<std::string> a) {
    a.insert(a.end(), cfg.begin(), cfg.end());
    return a;
  };
  auto verify = run_quotaguard(args({"replay", "--verify"}), env);
  CHECK_MESSAGE(verify.exit_code == 0, (verify.out + verify.err));
  CHECK(verify.out.rfind("verify: ok - 2 events", 0) == 0);  // the two AccountRegistered
  auto events = run_quotaguard(args({"replay", "--json", "--events-only"}), env);
  CHECK(events.exit_code == 0);
  CHECK(events.out.find("\"type\":\"AccountRegistered\",\"account\":\"acct-a\"") != std::string::npos);

  // A restart recovers from the database: nothing new to register.
  DaemonProcess second(DaemonOptions().config(config).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  REQUIRE_MESSAGE(second.start(&why), (why + second.stderr_text()));
  auto accounts = second.get("/api/v1/accounts");
  CHECK(accounts.status == 200);
  CHECK(accounts.body.find("\"acct-b\"") != std::string::npos);
  REQUIRE(second.stop() == 0);
  CHECK_MESSAGE(second.stderr_text().find("recovered 2 account(s) at seq 2 (") !=
                    std::string::npos,
                second.stderr_text());
  CHECK(run_quotaguard(args({"replay", "--verify"}), env).out.rfind("verify: ok - 2 events", 0) == 0);

  // With no daemon answering, `quotas` rebuilds the state from the PostgreSQL log.
  auto offline = run_quotaguard(args({"quotas", "--json"}), env);
  CHECK_MESSAGE(offline.exit_code == 0, offline.err);
  CHECK(offline.out.find("offline (from event log at seq 2)") != std::string::npos);
  CHECK(offline.out.find("\"acct-a\"") != std::string::npos);

  auto check = run_quotaguard(args({"check"}), env);
  CHECK_MESSAGE(check.out.find("ok   database: storage.postgres: postgresql://qg_test@127.0.0.1:" +
                               std::to_string(pg.port()) + "/" + database + ": connects (PostgreSQL 15") !=
                    std::string::npos,
                check.out);
  CHECK_MESSAGE(check.out.find("schema version 2, last seq 2, ") != std::string::npos, check.out);
  CHECK(check.out.find(" live node(s) (duties: ") != std::string::npos);

  // simulate reads the same log through the storage seam (the daemon's config names it).
  auto sim = run_quotaguard({"simulate", "--json"},
                            RunOptions(env).set_env("QUOTAGUARD_CONFIG_PATH", first.config_path()));
  CHECK_MESSAGE(sim.exit_code == 0, sim.err);
  CHECK_MESSAGE(sim.out.find("\"span\"") != std::string::npos, sim.out);

  for (const std::string& text : {log1, second.stderr_text(), first.stdout_text(), verify.out, verify.err,
                                  events.out, offline.out, offline.err, check.out, check.err, sim.out, sim.err}) {
    CHECK(text.find(pg.password()) == std::string::npos);
    CHECK(text.find(dsn) == std::string::npos);
  }

  // check verifies what exists: event_head standing at the last event, every table of the schema.
  pg.exec("UPDATE event_head SET last_seq = 5", database);
  auto skewed = run_quotaguard(args({"check"}), env);
  CHECK(skewed.exit_code == 1);
  CHECK_MESSAGE(skewed.out.find("event_head.last_seq is 5 but the last event is seq 2") != std::string::npos, skewed.out);
  pg.exec("UPDATE event_head SET last_seq = 2; DROP TABLE nodes", database);
  auto missing = run_quotaguard(args({"check"}), env);
  CHECK(missing.exit_code == 1);
  CHECK_MESSAGE(missing.out.find("schema version 2 but table(s) missing: nodes") != std::string::npos, missing.out);
}

TEST_CASE("serve on PostgreSQL: a database that cannot be reached is a start-up error naming it, not the password") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = "postgresql://qg_test:" + pg.password() + "@127.0.0.1:" + std::to_string(pg.port()) +
                          "/no_such_database";
  DaemonProcess d(DaemonOptions()
                      .config("storage: {backend: postgres}\n")
                      .set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  CHECK_FALSE(d.start());
  CHECK(d.exit_code() == 2);
  const std::string err = d.stderr_text();
  CHECK(err.rfind("storage.postgres: postgresql://qg_test@127.0.0.1:" + std::to_string(pg.port()) +
                      "/no_such_database: ",
                  0) == 0);
  CHECK(err.find("does not exist") != std::string::npos);
  CHECK(err.find(pg.password()) == std::string::npos);
}
