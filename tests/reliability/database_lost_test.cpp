// Reliability (c) on PostgreSQL: the database goes away under load and comes back. The test
// starts its own server (it stops it: the shared one serves other cases), a daemon with
// `storage.backend: postgres` and `storage.on_error: reject`, and 4 clients; then `pg_ctl stop
// -m fast` for ~3 s and `pg_ctl start` on the same port. While it is down: /health "degraded",
// /ready 503, new requests 503 "event log unavailable" with Retry-After: 1 in the caller's
// dialect, the process stays up, status answers and shows the node without the duties. When it
// is back the daemon reconnects by itself (no restart) and holds the duties again:
// /health ok with nothing held, requests 200 again; the log verifies, every reservation is
// settled exactly once, every 200 is committed once, and the fake provider served exactly what
// the log committed. The long form (10 s down) is `QG_RELIABILITY_LONG=1`.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <sstream>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

bool wait_until(const std::function<bool()>& cond, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

json health_of(const DaemonProcess& d) { return json::parse(d.get("/health").body, nullptr, false); }

}  // namespace

TEST_CASE("the PostgreSQL database stopped under load, on_error: reject - 503 with Retry-After, nothing lost, resumes by itself") {
  TempDir dir("qg-rel-pg-lost");
  auto server = PostgresServer::start(dir.path() / "server");
  const std::string dsn = server->create_database();
  FakeProviderProcess fake({"--models", "m", "--chunks", "3", "--chunk-delay-ms", "5", "--threads", "16"});
  const std::string config =
      "storage:\n  backend: postgres\n  on_error: reject\n  postgres: {node_id: lost-db, statement_timeout: 2s}\n"
      "accounts:\n  - {id: a1, provider: cliproxy, base_url: \"" + fake.base_url() + "\", api_key: \"sk-pg-lost-1\"}\n";
  DaemonProcess d(DaemonOptions().config(config).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());

  ClientLoad load(d.port(), 4, /*stream_every=*/3, /*timeout_ms=*/15000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int sent_before = load.sent();
  server->halt();
  REQUIRE_MESSAGE(wait_until([&] { return health_of(d).value("status", "") == "degraded"; }, 10000),
                  d.get("/health").body);
  CHECK(d.get("/ready").status == 503);
  // An Anthropic caller gets the refusal in its own dialect (a cliproxy account serves all four).
  const auto refused = http_request("POST", "127.0.0.1", d.port(), "/v1/messages",
                                    R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})",
                                    "application/json", {{"anthropic-version", "2023-06-01"}});
  CHECK_MESSAGE(refused.status == 503, refused.body);
  CHECK(refused.header("Retry-After") == "1");
  const json body = json::parse(refused.body, nullptr, false);
  CHECK_MESSAGE(body.value("type", "") == "error", refused.body);
  CHECK(body["error"].value("type", "") == "api_error");
  CHECK(body["error"].value("message", "").find("event log unavailable") != std::string::npos);
  // Status still answers; the node gave up the singleton duties with its lost connection.
  const auto duties = [&] {
    const json s = json::parse(d.get("/api/v1/status").body, nullptr, false);
    return s.is_object() && s["cluster"]["duties"] == true;
  };
  CHECK(wait_until([&] { return !duties(); }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(scaled(3000, 10000)));
  const int sent_down = load.sent() - sent_before;
  server->resume();
  REQUIRE_MESSAGE(wait_until([&] { return health_of(d).value("status", "") == "ok"; }, 20000),
                  d.get("/health").body << d.stderr_text());
  CHECK(health_of(d)["storage"]["held_events"] == 0);
  CHECK(wait_until(duties, 10000));  // and takes them up again
  CHECK(d.get("/ready").status == 200);
  const int sent_back = load.sent();
  REQUIRE(wait_until([&] { return load.sent() > sent_back + 8; }, 10000));
  auto outcomes = load.stop();
  CHECK(d.running());
  REQUIRE(d.stop() == 0);

  RunOptions env = RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn);
  const std::vector<std::string> cfg = {"--config", d.config_path()};
  auto verify = run_quotaguard({"replay", "--verify", "--config", d.config_path()}, env);
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
  auto dump = run_quotaguard({"replay", "--json", "--events-only", "--config", d.config_path()}, env);
  REQUIRE(dump.exit_code == 0);

  std::map<int, int> by_status;
  int complete_after = 0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    ++by_status[o.status];
    if (o.status == 503) {
      CHECK_MESSAGE(o.body.find("event log unavailable") != std::string::npos, o.body);
      CHECK(o.retry_after == "1");
      CHECK(o.body.find("sk-pg-lost") == std::string::npos);
      CHECK(o.body.find(server->password()) == std::string::npos);
    }
    CHECK_MESSAGE((o.status == 200 || o.status == 503), o.status << " " << o.body);
  }
  for (const auto& o : outcomes) complete_after += o.status == 200 && o.complete;
  MESSAGE("database down ~" << scaled(3, 10) << " s: " << outcomes.size() << " requests (" << sent_down
                            << " while down): " << by_status[200] << " x 200, " << by_status[503] << " x 503");
  CHECK(by_status[503] > 0);
  CHECK(complete_after > 0);

  std::map<std::string, int> created, settled, committed;
  std::int64_t committed_requests = 0;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);) {
    const json e = json::parse(line, nullptr, false);
    if (!e.is_object() || !e["data"].contains("id")) continue;
    const std::string type = e["type"], id = e["data"]["id"];
    if (type == "ReservationCreated") ++created[id];
    if (type == "ReservationCommitted") {
      ++committed[id];
      committed_requests += e["data"]["usage"].value("requests", 0);
    }
    if (type == "ReservationCommitted" || type == "ReservationReleased" || type == "ReservationExpired") ++settled[id];
  }
  for (const auto& [id, n] : created) CHECK_MESSAGE(settled[id] == 1, id);
  for (const auto& o : outcomes)
    if (o.status == 200 && o.complete) CHECK_MESSAGE(committed[o.reservation] == 1, o.reservation);
  const std::int64_t served = json::parse(http_get("127.0.0.1", fake.port(), "/_served").body)["total"]["requests"];
  CHECK(served == committed_requests);
  for (const std::string& text : {d.stderr_text(), verify.out, verify.err})
    CHECK(text.find(server->password()) == std::string::npos);
}
