// Reliability (a): kill -9 under load at random instants, restart on the same event log.
// After every round `replay --verify` is clean; at the end every response a client received
// complete with 200 has its reservation committed exactly once with the usage the client saw,
// nothing stays open after the TTL, and the fake provider's served count is bounded by the
// log: committed <= served <= committed + (requests in flight at the kills).
// Short mode (CI): 20 rounds; QG_RELIABILITY_LONG=1: 200 rounds. QG_RELIABILITY_SEED replays.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

constexpr int kClients = 4;

std::string crash_config(const std::string& db, int fake_port) {
  const std::string base = "http://127.0.0.1:" + std::to_string(fake_port) + "/v1";
  return "storage:\n  db_path: \"" + db + "\"\n  synchronous: full\n  snapshot_every: 50\n"
         "reservations:\n  ttl: 1s\n"
         "accounts:\n"
         "  - {id: a1, provider: openai, base_url: \"" + base + "\", api_key: \"sk-crash-1\"}\n"
         "  - {id: a2, provider: openai, base_url: \"" + base + "\", api_key: \"sk-crash-2\"}\n";
}

std::unique_ptr<DaemonProcess> start_daemon(const std::string& yaml) {
  auto d = std::make_unique<DaemonProcess>(DaemonOptions().config(yaml));
  std::string why;
  REQUIRE_MESSAGE(d->start(&why), why << "\n" << d->stderr_text());
  return d;
}

}  // namespace

TEST_CASE("kill -9 under load at random instants: the log stays exact") {
  const int rounds = scaled(20, 200);
  const auto seed = reliability_seed();
  MESSAGE("crash rounds: " << rounds << ", seed " << seed << " (QG_RELIABILITY_SEED to replay)");
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> kill_after_ms(30, 700);

  FakeProviderProcess fake({"--models", "m", "--chunks", "4", "--chunk-delay-ms", "5", "--threads", "16"});
  TempDir data("qg-rel-crash");
  const std::string db = data.file("qg.db");
  const std::string yaml = crash_config(db, fake.port());

  std::vector<RequestOutcome> all;
  int killed_in_flight_bound = 0;
  for (int round = 0; round < rounds; ++round) {
    auto d = start_daemon(yaml);
    ClientLoad load(d->port(), kClients, /*stream_every=*/3, /*timeout_ms=*/5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
    d->kill_now();
    auto outcomes = load.stop();
    killed_in_flight_bound += kClients;
    std::string why;
    REQUIRE_MESSAGE(verify_log(db, &why) == 0, "round " << round << ": " << why);
    all.insert(all.end(), outcomes.begin(), outcomes.end());
  }

  // Final start after the TTL: every reservation open at the last kill is expired.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto d = start_daemon(yaml);
  auto open = json::parse(d->get("/api/v1/reservations").body)["reservations"];
  CHECK_MESSAGE(open.empty(), open.dump());
  REQUIRE(d->stop() == 0);
  std::string why;
  REQUIRE_MESSAGE(verify_log(db, &why) == 0, why);

  // The log: per reservation id, created / committed / expired / released counts.
  std::map<std::string, int> created, committed, resolved_other;
  std::map<std::string, std::int64_t> committed_output;
  std::int64_t committed_requests = 0;
  for (const auto& e : read_events(db)) {
    const std::string type = e["type"];
    if (!e["data"].contains("id")) continue;
    const std::string id = e["data"]["id"];
    if (type == "ReservationCreated") ++created[id];
    if (type == "ReservationCommitted") {
      ++committed[id];
      committed_output[id] = e["data"]["usage"].value("output_tokens", -1);
      committed_requests += e["data"]["usage"].value("requests", 0);
    }
    if (type == "ReservationExpired" || type == "ReservationReleased") ++resolved_other[id];
  }
  for (const auto& [id, n] : created)
    CHECK_MESSAGE(committed[id] + resolved_other[id] == 1, id << " resolved " << committed[id] + resolved_other[id] << " times");

  int complete = 0;
  for (const auto& o : all) {
    if (o.status != 200 || !o.complete) continue;
    ++complete;
    REQUIRE_MESSAGE(!o.reservation.empty(), "a 200 without x-quotaguard-reservation");
    CHECK_MESSAGE(committed[o.reservation] == 1, o.reservation << " committed " << committed[o.reservation] << " times");
    CHECK_MESSAGE(resolved_other[o.reservation] == 0, o.reservation << " served but expired/released");
    if (o.completion_tokens >= 0)
      CHECK_MESSAGE(committed_output[o.reservation] == o.completion_tokens,
                    o.reservation << ": client saw " << o.completion_tokens << " tokens, log " << committed_output[o.reservation]);
  }
  CHECK(complete > rounds);  // the load really ran between the kills

  const auto served = json::parse(http_get("127.0.0.1", fake.port(), "/_served").body)["total"];
  const std::int64_t served_requests = served["requests"];
  MESSAGE("requests sent " << all.size() << ", complete 200s " << complete << ", served upstream " << served_requests
                           << ", committed " << committed_requests << ", reservations " << created.size());
  CHECK(committed_requests <= served_requests);
  CHECK(served_requests <= committed_requests + killed_in_flight_bound);
  CHECK(static_cast<std::int64_t>(created.size()) >= served_requests);  // nothing served unreserved
}
