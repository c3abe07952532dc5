// Reliability (b): a fault mix from the fake upstream — 429, 500, hang, connection reset,
// malformed JSON, slow stream — with one healthy account left. Every client request must
// succeed (200 with a complete body), no reservation stays open after the TTL, and the log
// verifies. Short mode (CI): 40 requests; QG_RELIABILITY_LONG=1: 400. Malformed JSON is its own
// case: a 200 whose body does not parse must fail over like any other upstream error.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

using Accounts = std::map<std::string, std::string>;  // account id -> fault of its key ("" = healthy)

// Runs `requests` chats (every second one streamed, 4 clients) against a daemon over the fake
// with these accounts; checks that each succeeded, that nothing is reserved after the TTL and
// that the log verifies.
void run_fault_mix(const Accounts& accounts, int requests) {
  std::vector<std::string> args = {"--models", "m", "--hang-ms", "3000", "--slow-delay-ms", "100",
                                   "--chunks", "3", "--retry-after", "60", "--threads", "256"};
  for (const auto& [id, fault] : accounts)
    if (!fault.empty()) { args.push_back("--fault"); args.push_back("sk-fault-" + id + "=" + fault); }
  FakeProviderProcess fake(args);

  TempDir data("qg-rel-faults");
  const std::string db = data.file("qg.db");
  std::string yaml = "storage:\n  db_path: \"" + db + "\"\nreservations:\n  ttl: 2s\n"
                     "proxy:\n  first_byte_timeout: 1s\n  idle_timeout: 2s\n  max_attempts: " +
                     std::to_string(accounts.size()) + "\n"
                     "router:\n  policy: round_robin\n  circuit_breaker: {failures: 1, base: 1s, cap: 2s}\n"
                     "accounts:\n";
  for (const auto& [id, fault] : accounts)
    yaml += "  - {id: " + id + ", provider: openai, base_url: \"http://127.0.0.1:" + std::to_string(fake.port()) +
            "/v1\", api_key: \"sk-fault-" + id + "\"}\n";
  DaemonProcess d(DaemonOptions().config(yaml));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());

  std::atomic<int> next{0};
  std::vector<RequestOutcome> outcomes(requests);
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      for (int i = next++; i < requests; i = next++) outcomes[i] = send_chat(d.port(), i % 2 == 1, 30000);
    });
  for (auto& c : clients) c.join();

  std::map<std::string, int> by_account;
  int ok = 0;
  for (int i = 0; i < requests; ++i) {
    const auto& o = outcomes[i];
    const std::string kind = o.stream ? "stream" : "plain";
    CHECK_MESSAGE((o.status == 200 && o.complete), "request " << i << " (" << kind << "): " << o.status
                                                    << " via " << o.account << ": " << o.body.substr(0, 160) << " ... "
                                                    << (o.body.size() > 160 ? o.body.substr(o.body.size() - 160) : ""));
    ok += o.status == 200 && o.complete;
    ++by_account[o.account];
  }
  std::string spread;
  for (const auto& [a, n] : by_account) spread += a + "=" + std::to_string(n) + " ";
  MESSAGE(ok << "/" << requests << " succeeded; answered by " << spread);
  const auto served = json::parse(http_get("127.0.0.1", fake.port(), "/_served").body)["keys"];
  int faults = 0;
  for (const auto& [key, v] : served.items()) faults += v.value("faults", 0);
  MESSAGE("faults injected by the fake: " << faults);
  CHECK(faults >= 1);  // the faulty accounts were really tried

  // After the TTL nothing is left reserved.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  auto open = json::parse(d.get("/api/v1/reservations").body)["reservations"];
  CHECK_MESSAGE(open.empty(), open.dump());
  CHECK(d.stop() == 0);
  CHECK_MESSAGE(verify_log(db, &why) == 0, why);
}

}  // namespace

TEST_CASE("fault mix (429, 500, hang, reset, slow) with one healthy account: every request succeeds") {
  run_fault_mix({{"f429", "429"}, {"f500", "500"}, {"fhang", "hang"}, {"freset", "reset"}, {"fslow", "slow"},
                 {"healthy", ""}},
                scaled(40, 400));
}

TEST_CASE("malformed JSON in an upstream 200 is not passed to the client as a success") {
  run_fault_mix({{"fmalformed", "malformed"}, {"healthy", ""}}, scaled(20, 200));
}
