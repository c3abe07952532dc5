// The hostile-upstream suite (issue 15): the real binary in front of a scripted upstream that
// answers what real providers must not — a reset header with 400 fraction digits, an SSE
// stream with no blank line, bare-CR events, negative and INT64_MAX usage, a 3 MB body past
// the bound, a body dripped 100 bytes at a time. After all of it the daemon is up, no
// reservation is left open, every window is within range, memory came back and the log
// passes `replay --verify`.
#include "tests/hostile/hostile_net.hpp"
#include "tests/hostile/hostile_script.hpp"
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace qg::test;
using json = nlohmann::json;

namespace {

const std::string kAdmin = "adm-hostile-up-77";
const std::string kKey = "ck-hostile-up";

struct Fixture {
  std::atomic<int> served{0};  // 2xx answers the upstream began
  ScriptedUpstream upstream{[this](const std::string& r, const ScriptedUpstream::Conn& c) {
    return hostile_upstream(r, c, served);
  }};
  DaemonProcess d;
  explicit Fixture(const std::string& extra = "") : d(DaemonOptions().config(
      "storage: {db_path: \"./qg.db\"}\n" + extra +
      "server: {admin_token: \"" + kAdmin + "\", api_keys: [\"" + kKey + "\"]}\n"
      "router: {circuit_breaker: {failures: 1000}}\n"  // containment is under test here, not the breaker
      "proxy: {max_attempts: 1, first_byte_timeout: 5s, idle_timeout: 5s, request_timeout: 2s,\n"
      "        max_response_bytes: 1048576, max_sse_event_bytes: 65536}\n"
      "accounts:\n  - {id: h1, provider: openai, base_url: \"" + upstream.base_url() +
      "\", api_key: \"sk-hostile-upstream\",\n     limits: [{metric: tokens, window: 1d, limit: 100000000}]}\n")) {
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  }
  HttpReply chat(const std::string& model, bool stream = false, const std::string& content = "hi") const {
    return d.post("/v1/chat/completions",
                  "{\"model\":\"" + model + "\",\"stream\":" + (stream ? "true" : "false") +
                      ",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}",
                  {{"Authorization", "Bearer " + kKey}});
  }
  json admin(const std::string& path) const {
    return json::parse(d.get(path, {{"Authorization", "Bearer " + kAdmin}}).body, nullptr, false);
  }
  std::size_t open_reservations() const { return admin("/api/v1/reservations")["reservations"].size(); }
  json window() const {
    const json accounts = admin("/api/v1/accounts");
    for (const auto& a : accounts["accounts"])
      if (a["id"] == "h1") return a["windows"][0];
    return json();
  }
  std::int64_t used() const { return window().value("used", std::int64_t{-1}); }
};

}  // namespace

TEST_CASE("items 3, 4, 6, 11, 2: a hostile upstream is contained and every reservation settles") {
  Fixture f;
  REQUIRE(f.chat("ok").status == 200);
  const std::int64_t base = f.used();

  SUBCASE("item 3: a reset header with 400 fraction digits") {
    auto r = f.chat("reset-digits");
    CHECK(r.status == 200);  // before: a 500 (std::stod threw inside the relay)
    CHECK(f.open_reservations() == 0);
    CHECK(f.used() - base >= 7);  // the upstream answered: counted (reported or estimated), never free
  }
  SUBCASE("item 4: an SSE event without end is cut at the bound, the reservation committed") {
    const auto start = std::chrono::steady_clock::now();
    auto r = f.chat("no-blank-line", true);
    CHECK(r.status == 200);
    CHECK(r.body.find("exceeds 65536 bytes") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));  // not the idle timeout
    CHECK(f.open_reservations() == 0);
  }
  SUBCASE("item 4: bare-CR events are split and their usage counted") {
    auto r = f.chat("bare-cr", true);
    CHECK(r.status == 200);
    CHECK(r.body.find("hello") != std::string::npos);
    CHECK(f.open_reservations() == 0);
    CHECK(f.used() - base == 16);  // 7 + 9 reported, not an estimate
  }
  SUBCASE("item 6: negative and INT64_MAX usage commit the estimate instead") {
    CHECK(f.chat("negative-usage").status == 200);
    CHECK(f.chat("max-usage").status == 200);
    CHECK(f.open_reservations() == 0);
    const std::int64_t used = f.used();
    CHECK(used > base);
    CHECK(used - base < 100);  // two estimates of a few tokens
    CHECK(f.d.stderr_text().find("reported usage outside") != std::string::npos);
  }
  SUBCASE("item 2: an upstream body past proxy.max_response_bytes is a clear 502") {
    auto r = f.chat("huge-json");
    CHECK(r.status == 502);
    CHECK(r.body.find("larger than 1048576 bytes") != std::string::npos);
    CHECK(f.open_reservations() == 0);
    CHECK(f.used() > base);  // the upstream began a 200: it counted the call, so do we (the estimate)
  }
  SUBCASE("item 11: a body dripped past proxy.request_timeout is a 504 that says so") {
    const auto start = std::chrono::steady_clock::now();
    auto r = f.chat("drip");
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.status == 504);
    CHECK_MESSAGE(r.body.find("within proxy.request_timeout (2000ms)") != std::string::npos, r.body);
    CHECK(took < std::chrono::seconds(6));  // 2 s deadline; before: 40 s and "first-byte timeout"
    CHECK(f.open_reservations() == 0);
    CHECK(f.used() > base);  // begun with a 200: counted
  }
  CHECK(f.d.running());
  CHECK(f.used() >= 0);
  const std::string db = f.d.dir().file("qg.db");
  REQUIRE(f.d.stop() == 0);
  auto verify = run_quotaguard({"replay", "--verify", "--db", db});
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
}

TEST_CASE("item 2: resident memory returns under twice its idle value within 10 s") {
  Fixture f;
  for (int i = 0; i < 5; ++i) REQUIRE(f.chat("ok").status == 200);  // warm: threads, parsers, pools
  usleep(2'500'000);
  const long idle = rss_kib(f.d.pid());
  REQUIRE(idle > 0);
  const std::string mb(1 << 20, 'z');
  for (int i = 0; i < 20; ++i) CHECK(f.chat("ok", false, mb).status == 200);  // 1 MB requests, new connections
  for (int i = 0; i < 5; ++i) CHECK(f.chat("huge-json").status == 502);         // 3 MB upstream answers
  for (int i = 0; i < 3; ++i) CHECK(f.chat("no-blank-line", true).status == 200);  // long SSE lines
  // 9 MB uploads without a key: answered before the body is read.
  const std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    const int status = raw_request(f.d.port(), head + std::string(1 << 20, 'q')).status;
    CHECK((status == 401 || status == -1));  // -1: the unread body made the close a reset first
  }
  const long peak = rss_kib(f.d.pid());
  long now = peak;
  for (int i = 0; i < 100 && now >= 2 * idle; ++i) {
    usleep(100'000);
    now = rss_kib(f.d.pid());
  }
  MESSAGE("RSS idle " << idle << " KiB, after the burst " << peak << " KiB, 10 s later at most " << now << " KiB");
#if defined(__SANITIZE_ADDRESS__)
  MESSAGE("AddressSanitizer keeps freed memory in quarantine: the RSS bound is checked in the plain build only");
#else
  CHECK(now < 2 * idle);
#endif
  CHECK(f.open_reservations() == 0);
}

TEST_CASE("item 7: a stream longer than reservations.ttl keeps its reservation and is counted") {
  Fixture f("reservations: {ttl: 1s}\n");
  const std::int64_t base = f.used();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i)
    clients.emplace_back([&] {
      auto r = f.chat("slow-stream", true);
      if (r.status == 200 && r.body.find("[DONE]") != std::string::npos) ++ok;
    });
  for (auto& t : clients) t.join();
  CHECK(ok == 3);
  usleep(1'500'000);  // past the TTL and at least one expiry sweep
  int committed = 0, expired = 0;
  const json events = f.admin("/api/v1/events?limit=1000");
  for (const auto& e : events["events"]) {
    committed += e["type"] == "ReservationCommitted";
    expired += e["type"] == "ReservationExpired";
  }
  CHECK(committed == 3);
  CHECK(expired == 0);
  CHECK(f.used() - base == 3 * 7);  // the usage the provider served, reported
  CHECK(f.d.stderr_text().find("is not open") == std::string::npos);
}
