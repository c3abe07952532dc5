// Reliability (c): SIGTERM with slow streams in flight. Every client gets its whole stream
// (up to [DONE]), the daemon exits 0, every stream's reservation is committed and the log
// verifies. Short mode (CI): 50 streams of ~1.5 s; QG_RELIABILITY_LONG=1: 200 streams.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace qg::test;
using nlohmann::json;

TEST_CASE("SIGTERM with streams in flight: all complete, exit 0, all committed") {
  const int streams = scaled(50, 200);
  FakeProviderProcess fake({"--models", "m", "--chunks", "6", "--chunk-delay-ms", "250", "--threads",
                            std::to_string(streams + 8)});
  TempDir data("qg-rel-drain");
  const std::string db = data.file("qg.db");
  const std::string yaml = "storage:\n  db_path: \"" + db + "\"\nserver:\n  max_connections: " +
                           std::to_string(streams + 16) + "\n  shutdown_timeout: 20s\n"
                           "accounts:\n  - {id: a1, provider: openai, base_url: \"http://127.0.0.1:" +
                           std::to_string(fake.port()) + "/v1\", api_key: \"sk-drain-1\"}\n";
  DaemonProcess d(DaemonOptions().config(yaml));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());

  std::vector<RequestOutcome> outcomes(streams);
  std::vector<std::thread> clients;
  for (int i = 0; i < streams; ++i)
    clients.emplace_back([&, i] { outcomes[i] = send_chat(d.port(), /*stream=*/true, 30000); });

  // Wait until every stream holds a reservation (all are in flight), then SIGTERM.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t open = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = d.get("/api/v1/reservations");
    if (r.status == 200) open = json::parse(r.body)["reservations"].size();
    else MESSAGE("reservations: " << r.status << " " << r.body);
    if (open >= static_cast<std::size_t>(streams)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_MESSAGE(open == static_cast<std::size_t>(streams), "only " << open << " streams in flight at SIGTERM");
  ::kill(d.pid(), SIGTERM);
  const int exit_code = d.wait_exit(std::chrono::seconds(30));
  for (auto& c : clients) c.join();

  int complete = 0;
  for (int i = 0; i < streams; ++i) {
    const auto& o = outcomes[i];
    complete += o.status == 200 && o.complete;
    CHECK_MESSAGE((o.status == 200 && o.complete),
                  "stream " << i << ": status " << o.status << ", complete " << o.complete << ", body tail: "
                            << (o.body.size() > 120 ? o.body.substr(o.body.size() - 120) : o.body));
  }
  MESSAGE(complete << "/" << streams << " streams complete after SIGTERM; exit code " << exit_code);
  CHECK_MESSAGE(exit_code == 0, d.stderr_text());
  CHECK_MESSAGE(verify_log(db, &why) == 0, why);
  int committed = 0;
  for (const auto& e : read_events(db)) committed += e["type"] == "ReservationCommitted";
  CHECK(committed == streams);
}
