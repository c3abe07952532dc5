// Reliability (a): kill -9 under load at random instants, restart on the same event log.
// After every round `replay --verify` is clean; at the end every reservation is resolved
// exactly once, nothing stays open after the TTL, and the fake provider's served count is
// bounded by the log: committed <= served <= committed + expired. A client is answered before
// its commit is durable (docs/EVENT_LOG.md section 3), so a response received complete with
// 200 has its reservation committed with the usage the client saw, or — killed between the
// answer and the group commit — expired with its estimate; never released, never twice.
// The second case kills the daemon the instant a client got its answer, aiming at that window.
// Short mode (CI): 20 rounds; QG_RELIABILITY_LONG=1: 200 rounds. QG_RELIABILITY_SEED replays.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_storage.hpp"

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

// The log per reservation id: how each was resolved, and the usage committed.
struct LogTally {
  std::map<std::string, int> created, committed, expired, released;
  std::map<std::string, std::int64_t> committed_output;
  std::int64_t committed_requests = 0, expired_requests = 0;
};

LogTally tally(const std::string& db) {
  LogTally t;
  std::map<std::string, std::int64_t> estimate_requests;
  for (const auto& e : read_events(db)) {
    const std::string type = e["type"];
    if (!e["data"].contains("id")) continue;
    const std::string id = e["data"]["id"];
    if (type == "ReservationCreated") {
      ++t.created[id];
      estimate_requests[id] = e["data"]["estimate"].value("requests", 0);
    }
    if (type == "ReservationCommitted") {
      ++t.committed[id];
      t.committed_output[id] = e["data"]["usage"].value("output_tokens", -1);
      t.committed_requests += e["data"]["usage"].value("requests", 0);
    }
    if (type == "ReservationExpired") {
      ++t.expired[id];
      t.expired_requests += estimate_requests[id];
    }
    if (type == "ReservationReleased") ++t.released[id];
  }
  for (const auto& [id, n] : t.created)
    CHECK_MESSAGE(t.committed[id] + t.expired[id] + t.released[id] == 1,
                  id << " resolved " << t.committed[id] + t.expired[id] + t.released[id] << " times");
  return t;
}

// A 200 the client received complete: committed once with the usage it saw, or expired
// (killed before the commit was durable); never released. Returns whether it expired.
bool check_answered(LogTally& t, const RequestOutcome& o) {
  REQUIRE_MESSAGE(!o.reservation.empty(), "a 200 without x-quotaguard-reservation");
  CHECK_MESSAGE(t.committed[o.reservation] + t.expired[o.reservation] == 1,
                o.reservation << " committed " << t.committed[o.reservation] << ", expired " << t.expired[o.reservation]);
  CHECK_MESSAGE(t.released[o.reservation] == 0, o.reservation << " served but released");
  if (t.committed[o.reservation] == 1 && o.completion_tokens >= 0)
    CHECK_MESSAGE(t.committed_output[o.reservation] == o.completion_tokens,
                  o.reservation << ": client saw " << o.completion_tokens << " tokens, log " << t.committed_output[o.reservation]);
  return t.expired[o.reservation] == 1;
}

// Provider-served requests against the log: committed <= served <= committed + expired.
void check_served_bound(const LogTally& t, int fake_port, std::size_t sent, int complete) {
  const auto served = json::parse(http_get("127.0.0.1", fake_port, "/_served").body)["total"];
  const std::int64_t served_requests = served["requests"];
  MESSAGE("requests sent " << sent << ", complete 200s " << complete << ", served upstream " << served_requests
                           << ", committed " << t.committed_requests << ", expired " << t.expired_requests
                           << ", reservations " << t.created.size());
  CHECK(t.committed_requests <= served_requests);
  CHECK(served_requests <= t.committed_requests + t.expired_requests);
  CHECK(static_cast<std::int64_t>(t.created.size()) >= served_requests);  // nothing served unreserved
}

// The final start after the TTL: every reservation open at the last kill is expired.
void restart_after_ttl(const std::string& yaml, const std::string& db) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto d = start_daemon(yaml);
  auto open = json::parse(open_reservations_after_restart(*d))["reservations"];
  CHECK_MESSAGE(open.empty(), open.dump());
  REQUIRE(d->stop() == 0);
  std::string why;
  REQUIRE_MESSAGE(verify_log(db, &why) == 0, why);
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

  restart_after_ttl(yaml, db);
  LogTally t = tally(db);
  int complete = 0, expired_answers = 0;
  for (const auto& o : all) {
    if (o.status != 200 || !o.complete) continue;
    ++complete;
    expired_answers += check_answered(t, o) ? 1 : 0;
  }
  CHECK(complete > rounds);  // the load really ran between the kills
  CHECK(expired_answers <= killed_in_flight_bound);
  check_served_bound(t, fake.port(), all.size(), complete);
}

TEST_CASE("kill -9 the instant a client got its answer: served is at most committed plus expired") {
  // Answers go out before their commit is durable: kill as soon as one arrives, so some
  // rounds catch a commit still in flight. Whatever the timing, nothing is counted twice and
  // nothing served goes uncounted.
  const int rounds = scaled(12, 100);
  FakeProviderProcess fake({"--models", "m", "--threads", "16"});
  TempDir data("qg-rel-answer-kill");
  const std::string db = data.file("qg.db");
  const std::string yaml = crash_config(db, fake.port());

  std::vector<RequestOutcome> answered;
  std::size_t sent = 0;
  for (int round = 0; round < rounds; ++round) {
    auto d = start_daemon(yaml);
    for (int i = 0; i < 3 + round % 4; ++i) {  // a few answers, then the kill right after one
      RequestOutcome o = send_chat(d->port(), /*stream=*/round % 3 == 2, /*timeout_ms=*/5000);
      ++sent;
      if (o.status == 200 && o.complete) answered.push_back(o);
    }
    d->kill_now();
    std::string why;
    REQUIRE_MESSAGE(verify_log(db, &why) == 0, "round " << round << ": " << why);
  }
  restart_after_ttl(yaml, db);
  LogTally t = tally(db);
  int expired_answers = 0;
  for (const auto& o : answered) expired_answers += check_answered(t, o) ? 1 : 0;
  MESSAGE(answered.size() << " answers, " << expired_answers << " of them killed before their commit was durable");
  CHECK(expired_answers <= rounds);  // only the last answer of a round can lose its commit
  CHECK(answered.size() > static_cast<std::size_t>(rounds));
  check_served_bound(t, fake.port(), sent, static_cast<int>(answered.size()));
}
