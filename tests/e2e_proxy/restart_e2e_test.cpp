// End-to-end: kill -9 with reservations open, restart, and the log stays auditable; open
// reservations are expired once their TTL has passed and nothing is counted twice.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/test_storage.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace qg::test;
using nlohmann::json;

TEST_CASE("reservations open at a crash are expired at restart after their TTL") {
  FakeProviderProcess fake({"--models", "m"});
  E2eDaemon qg;
  const std::vector<E2eAccount> accounts = {{"a1", fake.port(), "sk-e2e-r1", 10}};
  qg.start(accounts);
  REQUIRE(qg.chat("m").status == 200);
  // Two reservations held by an advisory client, then the daemon dies.
  for (int i = 0; i < 2; ++i) {
    auto r = qg.daemon->post("/reservations", R"({"account_id":"a1","estimated_cost_percent":1,"correlation_id":"c"})");
    REQUIRE_MESSAGE(r.status == 201, r.body);
  }
  qg.daemon->kill_now();
  CHECK(qg.verify() == 0);

  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the 2 s TTL passes while down
  qg.start(accounts);
  auto open = json::parse(open_reservations_after_restart(*qg.daemon))["reservations"];
  CHECK(open.empty());
  int expired = 0;
  for (const auto& e : qg.events()) expired += e["type"] == "ReservationExpired";
  CHECK(expired == 2);
  auto a1 = json::parse(qg.daemon->get("/api/v1/accounts/a1").body);
  CHECK(a1["windows"][0]["used"] == 1);      // the served request, once
  CHECK(a1["windows"][0]["reserved"] == 0);
  CHECK(qg.daemon->stop() == 0);
  CHECK(qg.verify() == 0);
}

TEST_CASE("runtime settings and drained accounts survive a restart") {
  FakeProviderProcess fake({"--models", "m"});
  E2eDaemon qg;
  const std::vector<E2eAccount> accounts = {{"a1", fake.port(), "sk-e2e-s1", 0}, {"a2", fake.port(), "sk-e2e-s2", 0}};
  qg.start(accounts);
  REQUIRE(qg.daemon->post("/api/v1/accounts/a1/drain", "{}").status == 200);
  auto put = http_request("PUT", "127.0.0.1", qg.daemon->port(), "/api/v1/thresholds",
                          R"({"warning":70,"switch":80,"critical":90})");
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(qg.chat("m").header("x-quotaguard-account") == "a2");
  CHECK(qg.daemon->stop() == 0);

  qg.start(accounts);
  auto a1 = json::parse(qg.daemon->get("/api/v1/accounts/a1").body);
  CHECK(a1["state"] == "draining");
  auto t = json::parse(qg.daemon->get("/api/v1/thresholds").body);
  CHECK(t["switch"] == 80);
  CHECK(qg.chat("m").header("x-quotaguard-account") == "a2");
}

TEST_CASE("serve refuses a foreign or unreachable event log: one line, exit 2, nothing written") {
  skip_on_postgres("a file that is not SQLite, a folder that does not exist (tests/postgres: an unreachable database)");
  TempDir dir("qg-e2e-baddb");
  const std::string foreign = dir.write("foreign.db", "this is not an SQLite file\n");
  auto r = run_quotaguard({"serve", "--listen", "127.0.0.1:0", "--db", foreign});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("foreign.db") != std::string::npos);
  CHECK(r.err.find("listening") == std::string::npos);  // nothing started
  CHECK(read_file(foreign) == "this is not an SQLite file\n");

  r = run_quotaguard({"serve", "--listen", "127.0.0.1:0", "--db", dir.file("missing/dir/qg.db")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
}

TEST_CASE("serve refuses a read-only event log with one line and exit 2, the file untouched") {
  skip_on_postgres("the SQLite file's permissions");
  TempDir dir("qg-e2e-rodb");
  const std::string db = dir.file("qg.db");
  // A real log first (one start and stop), then the operator makes it read-only.
  RunOptions with_token;
  with_token.stdin_text = "123456:AAtesttokenforreadonlycheckxxxxxxxxxx\n";
  auto made = run_quotaguard({"settoken", "--db", db, "-"}, with_token);
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  std::filesystem::permissions(db, std::filesystem::perms::owner_read);
  const auto before = read_file(db);
  auto r = run_quotaguard({"serve", "--listen", "127.0.0.1:0", "--db", db});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(r.err.find("is read-only") != std::string::npos, r.err);
  CHECK(r.err.find("listening") == std::string::npos);
  CHECK(r.err.find("AAtesttoken") == std::string::npos);
  CHECK(read_file(db) == before);
}
