// End-to-end: the real daemon proxying to real fake providers. What the upstream served must
// be exactly what the event log committed; limits hold under concurrency; failover works.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

struct Committed {
  std::int64_t requests = 0, input = 0, output = 0, created = 0, resolved = 0;
};

Committed committed(const std::vector<json>& events) {
  Committed c;
  for (const auto& e : events) {
    const std::string type = e["type"];
    if (type == "ReservationCreated") ++c.created;
    if (type == "ReservationCommitted" || type == "ReservationReleased" || type == "ReservationExpired") ++c.resolved;
    if (type != "ReservationCommitted") continue;
    c.requests += e["data"]["usage"]["requests"].get<std::int64_t>();
    c.input += e["data"]["usage"]["input_tokens"].get<std::int64_t>();
    c.output += e["data"]["usage"]["output_tokens"].get<std::int64_t>();
  }
  return c;
}

}  // namespace

TEST_CASE("plain and streamed requests: the log commits exactly what the provider served") {
  FakeProviderProcess fake({"--models", "gpt-4o-mini", "--chunks", "4"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-one", 0}, {"a2", fake.port(), "sk-e2e-two", 0}});

  for (int i = 0; i < 6; ++i) {
    auto r = qg.chat("gpt-4o-mini", i % 2 == 1);
    REQUIRE(r.status == 200);
    CHECK_FALSE(r.header("x-quotaguard-account").empty());
    CHECK(r.header("x-quotaguard-model") == "gpt-4o-mini");
    CHECK(r.header("x-quotaguard-reservation").rfind("res_", 0) == 0);
    if (i % 2 == 1) {
      CHECK(r.body.find("data: [DONE]") != std::string::npos);
      CHECK(r.body.find("\"usage\":{") == std::string::npos);  // usage asked by us, not shown
    }
  }
  const json total = served(fake.port())["total"];
  const Committed c = committed(qg.events());
  CHECK(c.requests == total["requests"].get<std::int64_t>());
  CHECK(c.input == total["prompt_tokens"].get<std::int64_t>());
  CHECK(c.output == total["completion_tokens"].get<std::int64_t>());
  CHECK(c.created == 6);
  CHECK(c.resolved == 6);
  CHECK(qg.daemon->stop() == 0);
  CHECK(qg.verify() == 0);
  // No upstream key in the daemon's log at any level.
  CHECK(qg.daemon->stderr_text().find("sk-e2e-") == std::string::npos);
}

TEST_CASE("consecutive streams to one upstream reuse its connection") {
  FakeProviderProcess fake({"--models", "m", "--chunks", "3"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-reuse", 0}});
  for (int i = 0; i < 6; ++i) {
    auto r = qg.chat("m", /*stream=*/true);
    REQUIRE(r.status == 200);
    REQUIRE(r.body.find("data: [DONE]") != std::string::npos);
  }
  const json s = served(fake.port());
  CHECK(s["total"]["requests"] == 6);
  // One connection carried all six (a fresh one per stream before the pool).
  CHECK(s["stream_connections"] == 1);
}

TEST_CASE("all accounts exhausted: 429 quota_exhausted with Retry-After - limits never exceeded") {
  FakeProviderProcess fake({"--models", "m"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-a", 3}, {"a2", fake.port(), "sk-e2e-b", 2}});
  int ok = 0;
  for (int i = 0; i < 5; ++i) ok += qg.chat("m").status == 200;
  CHECK(ok == 5);
  auto r = qg.chat("m");
  CHECK(r.status == 429);
  CHECK(json::parse(r.body)["error"]["code"] == "quota_exhausted");
  CHECK(std::stoll(r.header("Retry-After")) > 0);
  CHECK(served(fake.port())["total"]["requests"] == 5);
}

TEST_CASE("concurrent requests against small limits: admitted total never exceeds the limits") {
  FakeProviderProcess fake({"--models", "m", "--threads", "16"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-c1", 7}, {"a2", fake.port(), "sk-e2e-c2", 5}});
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const int s = qg.chat("m").status;
        (s == 200 ? ok : s == 429 ? refused : other)++;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 12);
  CHECK(refused == 28);
  CHECK(other == 0);
  CHECK(served(fake.port())["total"]["requests"] == 12);
  CHECK(qg.daemon->stop() == 0);
  CHECK(qg.verify() == 0);
}

TEST_CASE("failover: a failing account is skipped before any byte reaches the client") {
  FakeProviderProcess fake({"--models", "m", "--fault", "sk-e2e-bad=500"});
  E2eDaemon qg;
  qg.start({{"bad", fake.port(), "sk-e2e-bad", 0}, {"good", fake.port(), "sk-e2e-good", 0}},
           "router:\n  policy: fill_first\n");
  for (int i = 0; i < 4; ++i) {
    auto r = qg.chat("m");
    REQUIRE(r.status == 200);
    CHECK(r.header("x-quotaguard-account") == "good");
  }
  auto accounts = json::parse(qg.daemon->get("/api/v1/accounts").body)["accounts"];
  for (const auto& a : accounts) CHECK(a["in_flight"] == 0);  // released, not left open
  const Committed c = committed(qg.events());
  CHECK(c.created == c.resolved);
  CHECK(c.requests == 4);
}

TEST_CASE("check: each upstream must answer - a dead one is one FAIL line and exit 1") {
  FakeProviderProcess fake({"--models", "m"});
  TempDir dir("qg-e2e-check");
  auto config = [&](int dead_port) {
    std::string yaml = "storage:\n  db_path: \"" + dir.file("qg.db") + "\"\naccounts:\n"
                       "  - {id: live, provider: openai, base_url: \"http://127.0.0.1:" +
                       std::to_string(fake.port()) + "/v1\", api_key: \"sk-check-live\"}\n";
    if (dead_port > 0)
      yaml += "  - {id: dead, provider: openai, base_url: \"http://127.0.0.1:" + std::to_string(dead_port) +
              "/v1\", api_key: \"sk-check-dead\"}\n";
    return dir.write("config.yaml", yaml);
  };
  auto ok = run_quotaguard({"check", "--config", config(0)});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("upstreams: 1 upstream(s) answer") != std::string::npos);

  int dead_port = 0;
  {
    FakeProviderProcess gone({"--models", "m"});
    dead_port = gone.port();
  }  // stopped: nothing listens there any more
  auto bad = run_quotaguard({"check", "--config", config(dead_port)});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("FAIL upstreams: dead: unreachable") != std::string::npos);
  CHECK((bad.out + bad.err).find("sk-check-") == std::string::npos);
}
