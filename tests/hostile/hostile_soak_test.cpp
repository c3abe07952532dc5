// The whole hostile suite against ONE daemon (issue 15, acceptance): the hostile client's and
// the hostile upstream's attacks, one after the other on the same process, then the books are
// checked. Afterwards the daemon is still up and stops cleanly, `replay --verify` is clean, the
// upstream's served count (answers it began with a 2xx) equals the committed requests in the
// log, no reservation is open, no window is negative or over its limit, and resident memory
// is back under twice its idle value (plain build; ASan keeps freed memory in quarantine).
// Sizes are the item suites' smaller ones; each item's own case is in hostile_client_test.cpp
// and hostile_upstream_test.cpp.
#include "tests/hostile/hostile_net.hpp"
#include "tests/hostile/hostile_script.hpp"
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

using namespace qg::test;
using json = nlohmann::json;

namespace {

const std::string kAdmin = "adm-hostile-soak-31";
const std::string kKey = "ck-hostile-soak";
constexpr std::int64_t kRequestLimit = 100'000;

struct Soak {
  std::atomic<int> served{0};
  ScriptedUpstream upstream{[this](const std::string& r, const ScriptedUpstream::Conn& c) {
    return hostile_upstream(r, c, served);
  }};
  DaemonProcess d;
  Soak()
      : d(DaemonOptions().config(
            "storage: {db_path: \"./qg.db\"}\n"
            "reservations: {ttl: 1s}\n"
            "server: {admin_token: \"" + kAdmin + "\", api_keys: [\"" + kKey + "\"]}\n"
            "router: {circuit_breaker: {failures: 1000}}\n"
            "proxy: {max_attempts: 1, first_byte_timeout: 5s, idle_timeout: 5s, request_timeout: 2s,\n"
            "        max_response_bytes: 1048576, max_sse_event_bytes: 65536}\n"
            "accounts:\n  - {id: h1, provider: openai, base_url: \"" + upstream.base_url() +
            "\", api_key: \"sk-hostile-soak\",\n"
            "     limits: [{metric: tokens, window: 1d, limit: 100000000}, {metric: requests, window: 1d, limit: " +
            std::to_string(kRequestLimit) + "}]}\n")) {
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  }
  Headers key() const { return {{"Authorization", "Bearer " + kKey}}; }
  Headers admin() const { return {{"Authorization", "Bearer " + kAdmin}}; }
  HttpReply chat(const std::string& model, bool stream = false, const std::string& extra = "",
                 const std::string& content = "hi") const {
    return d.post("/v1/chat/completions",
                  "{\"model\":\"" + model + "\",\"stream\":" + (stream ? "true" : "false") + extra +
                      ",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}",
                  key());
  }
  json admin_json(const std::string& path) const { return json::parse(d.get(path, admin()).body, nullptr, false); }
  RawReply raw(const std::string& bytes) const { return raw_request(d.port(), bytes, std::chrono::seconds(5)); }
};

// Each attack checks only that it was refused or contained; the books are checked at the end.
void hostile_client(const Soak& s) {
  const std::string deep = nested_json(100'000);  // item 1
  for (const std::string path : {"/api/v1/thresholds", "/api/v1/policy", "/api/v1/fallbacks"})
    CHECK(s.raw("PUT " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdmin + "\r\nContent-Length: " +
                std::to_string(deep.size()) + "\r\n\r\n" + deep)
              .status == 400);
  CHECK(s.d.post("/v1/chat/completions", "{\"model\":\"ok\",\"x\":" + deep + "}", s.key()).status == 400);
  // Item 2: bodies refused before they are read.
  CHECK(s.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n").status == 401);
  CHECK(s.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
              "\r\nContent-Length: 20000000\r\n\r\n")
            .status == 413);
  // Items 5, 8, 9: numbers, stream on embeddings, names.
  CHECK(s.chat("ok", false, ",\"n\":1,\"max_completion_tokens\":9223372036854775807").status == 400);
  for (int i = 0; i < 6; ++i)
    CHECK(s.d.post("/v1/embeddings", R"({"model":"ok","input":"x","stream":true})", s.key()).status == 400);
  for (int i = 0; i < 5; ++i) CHECK(s.chat(std::string(1 << 20, 'm')).status == 400);
  CHECK(s.d.get("/api/v1/accounts/" + std::string(300, 'n'), s.admin()).status == 400);
  CHECK(s.d.post("/reservations", json{{"account_id", "h1"}, {"model", std::string(100'000, 'm')}, {"estimate", {{"requests", 1}}}}.dump(),
                 s.admin())
            .status == 400);
  // Items 12, 13, 14: framing and errors.
  CHECK(s.raw("GET /" + std::string(20'000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").status == 414);
  CHECK(s.raw("GARBAGE\r\n\r\n").status == 400);
  const std::string body = "{\"model\":\"ok\",\"messages\":[]}";
  CHECK(s.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey + "\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nContent-Length: 5\r\n\r\n" + body)
            .status == 400);
  CHECK(s.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey + "\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
            .status == 400);
  CHECK(s.raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey + std::string("\0junk", 5) + "\r\n\r\n")
            .status != 200);
  CHECK(s.d.get("/api/v1/events?after=9223372036854775807", s.admin()).status == 400);
  CHECK(s.raw("POST /api/v1/accounts/h1/drain HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdmin + "\r\n\r\n").status ==
        200);
  CHECK(s.raw("POST /api/v1/accounts/h1/resume HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAdmin + "\r\n\r\n").status ==
        200);
}

void hostile_upstream(const Soak& s) {
  CHECK(s.chat("reset-digits").status == 200);                       // item 3
  CHECK(s.chat("no-blank-line", true).status == 200);                // item 4: cut at the bound
  CHECK(s.chat("bare-cr", true).body.find("hello") != std::string::npos);  // item 4
  CHECK(s.chat("negative-usage").status == 200);                     // item 6
  CHECK(s.chat("max-usage").status == 200);
  CHECK(s.chat("huge-json").status == 502);                          // item 2
  CHECK(s.chat("drip").status == 504);                               // item 11
  std::vector<std::thread> slow;                                     // item 7: longer than the 1 s TTL
  std::atomic<int> complete{0};
  for (int i = 0; i < 3; ++i)
    slow.emplace_back([&] { complete += s.chat("slow-stream", true).body.find("[DONE]") != std::string::npos; });
  for (auto& t : slow) t.join();
  CHECK(complete == 3);
}

// Item 2's memory shapes: 1 MB requests, 3 MB answers, long SSE lines, 9 MB uploads without a key.
void memory_burst(const Soak& s) {
  const std::string mb(1 << 20, 'z');
  for (int i = 0; i < 20; ++i) CHECK(s.chat("ok", false, "", mb).status == 200);
  for (int i = 0; i < 5; ++i) CHECK(s.chat("huge-json").status == 502);
  for (int i = 0; i < 3; ++i) CHECK(s.chat("no-blank-line", true).status == 200);
  const std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    const int status = raw_request(s.d.port(), head + std::string(1 << 20, 'q')).status;
    CHECK((status == 401 || status == -1));
  }
}

// Item 10: idle keep-alive connections while a normal request is served.
void idle_connections(const Soak& s, int count) {
  std::vector<int> idle;
  for (int i = 0; i < count; ++i) {
    const int fd = connect_local(s.d.port());
    if (fd < 0) break;
    idle.push_back(fd);
    const std::string req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    if (i % 2 == 0) (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  }
  int answered = 0;
  for (std::size_t i = 0; i < idle.size(); i += 2) answered += read_reply(idle[i], std::chrono::seconds(30)).status == 200;
  CHECK(answered == (count + 1) / 2);
  CHECK(s.chat("ok").status == 200);
  for (int fd : idle) ::close(fd);
}

}  // namespace

TEST_CASE("acceptance: one daemon takes the whole hostile suite and its books still balance") {
#if defined(__SANITIZE_ADDRESS__)
  const int idle_count = 500;
#else
  const int idle_count = 2000;
#endif
  REQUIRE(raise_fd_limit() > idle_count + 200);
  Soak s;
  for (int i = 0; i < 5; ++i) REQUIRE(s.chat("ok").status == 200);  // warm: threads, parsers, pools
  usleep(2'500'000);
  const long idle_rss = rss_kib(s.d.pid());
  REQUIRE(idle_rss > 0);

  hostile_client(s);
  hostile_upstream(s);
  const long after_attacks = rss_kib(s.d.pid());
  memory_burst(s);
  const long after_burst = rss_kib(s.d.pid());
  idle_connections(s, idle_count);
  const long after_idle = rss_kib(s.d.pid());
  MESSAGE("RSS after the attacks " << after_attacks << " KiB, the memory burst " << after_burst << " KiB, "
                                   << idle_count << " idle connections " << after_idle << " KiB");
  REQUIRE(::kill(s.d.pid(), SIGHUP) == 0);  // item 16: a reload in the middle changes nothing here
  CHECK(s.chat("ok").status == 200);

  // Memory comes back (item 2).
  long rss = rss_kib(s.d.pid());
  const long peak = rss;
  for (int i = 0; i < 100 && rss >= 2 * idle_rss; ++i) {
    usleep(100'000);
    rss = rss_kib(s.d.pid());
  }
  MESSAGE("RSS idle " << idle_rss << " KiB, after the suite " << peak << " KiB, within 10 s " << rss << " KiB");
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(rss < 2 * idle_rss);
#endif

  // The books: nothing open, no window negative or over its limit, served == committed.
  usleep(1'500'000);  // past the TTL and one expiry sweep: nothing may expire that was served
  CHECK(s.d.running());
  CHECK(s.admin_json("/api/v1/reservations")["reservations"].empty());
  const json accounts = s.admin_json("/api/v1/accounts");
  REQUIRE(accounts["accounts"].size() == 1);
  for (const auto& w : accounts["accounts"][0]["windows"]) {
    INFO(w.dump());
    CHECK(w["used"].get<std::int64_t>() >= 0);
    CHECK(w["reserved"].get<std::int64_t>() == 0);
    CHECK(w["used"].get<std::int64_t>() <= w["limit"].get<std::int64_t>());
  }
  int committed = 0, expired = 0;
  std::int64_t committed_requests = 0;
  for (std::uint64_t after = 0;;) {
    const json page = s.admin_json("/api/v1/events?limit=10000&after=" + std::to_string(after));
    REQUIRE(page.contains("events"));
    for (const auto& e : page["events"]) {
      if (e["type"] == "ReservationCommitted") {
        ++committed;
        committed_requests += e["data"]["usage"].value("requests", std::int64_t{0});
      }
      expired += e["type"] == "ReservationExpired";
    }
    if (page["events"].empty()) break;
    after = page["next_after"].get<std::uint64_t>();
  }
  MESSAGE("upstream began " << s.served.load() << " 2xx answers; the log holds " << committed << " commits ("
                            << committed_requests << " requests), " << expired << " expiries");
  CHECK(committed == s.served.load());
  CHECK(committed_requests == s.served.load());
  CHECK(expired == 0);

  const std::string db = s.d.dir().file("qg.db");
  CHECK(s.d.stop() == 0);
  auto verify = run_quotaguard({"replay", "--verify", "--db", db});
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
}
