// `quotaguard serve` as a process: free port, /health and /ready, clean exit on signals,
// refusal of bad configs and of an unprotected non-loopback listen, log formats and secrets.
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sstream>
#include <thread>

using qg::test::DaemonOptions;
using qg::test::DaemonProcess;
using qg::test::run_quotaguard;
using qg::test::RunOptions;
using qg::test::TempDir;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("serve on a free port: /health 200, /ready 200, SIGTERM exits 0") {
  DaemonProcess d;
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  CHECK(d.port() > 0);
  CHECK(d.stderr_text().find("listening on 127.0.0.1:" + std::to_string(d.port())) !=
        std::string::npos);

  auto health = d.get("/health");
  REQUIRE(health.status == 200);
  CHECK(health.header("Content-Type").rfind("application/json", 0) == 0);
  auto body = nlohmann::json::parse(health.body);
  CHECK(body["status"] == "ok");
  CHECK(body["version"] == QG_VERSION);
  CHECK(body["uptime_s"].is_number_integer());
  CHECK(body["uptime_s"].get<int>() >= 0);

  auto ready = d.get("/ready");
  CHECK(ready.status == 200);
  CHECK(d.get("/no-such-route").status == 404);

  CHECK(d.stop(SIGTERM) == 0);
  CHECK(d.get("/health").status == -1);  // nothing listens any more
}

TEST_CASE("SIGINT also exits 0") {
  DaemonProcess d;
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  CHECK(d.stop(SIGINT) == 0);
  CHECK(d.stderr_text().find("shutting down (SIGINT)") != std::string::npos);
}

TEST_CASE("a bad config: exit 2, exactly one line, nothing started") {
  TempDir dir;
  std::string bad = dir.write("bad.yaml", "router:\n  thresholds: {switch: 120}\n");
  auto r = run_quotaguard({"serve", "--config", bad, "--listen", "127.0.0.1:0"},
                          RunOptions().in(dir.str()));
  CHECK(r.exit_code == 2);
  CHECK(r.err == bad + ": router.thresholds.switch: 120 is not a percentage (0..100)\n");
  CHECK(r.out.empty());
  CHECK_FALSE(std::filesystem::exists(dir.file("quotaguard.db")));

  r = run_quotaguard({"serve", "--config", dir.file("missing.yaml")}, RunOptions().in(dir.str()));
  CHECK(r.exit_code == 2);
  CHECK(r.err == dir.file("missing.yaml") + ": cannot read config file (no such file)\n");
}

TEST_CASE("./config.yaml and QUOTAGUARD_CONFIG_PATH are found") {
  TempDir dir;
  dir.write("config.yaml", "log: {level: verbose}\n");
  auto r = run_quotaguard({"serve"}, RunOptions().in(dir.str()));
  CHECK(r.exit_code == 2);
  CHECK(r.err == "config.yaml: log.level: verbose is not one of trace|debug|info|warn|error\n");

  std::string other = dir.write("other.yaml", "server: {listen: nowhere}\n");
  r = run_quotaguard({"serve"}, RunOptions().in(dir.str()).set_env("QUOTAGUARD_CONFIG_PATH", other));
  CHECK(r.exit_code == 2);
  CHECK(r.err == other + ": server.listen: nowhere is not HOST:PORT\n");
}

TEST_CASE("a non-loopback listen without admin_token is refused with exit 2") {
  auto r = run_quotaguard({"serve", "--listen", "0.0.0.0:0"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "server.listen: 0.0.0.0:0 is not loopback and server.admin_token is not set (set it in "
        "the config or QUOTAGUARD_ADMIN_TOKEN)\n");
}

TEST_CASE("JSON logs: every stderr line is one JSON object") {
  DaemonProcess d(DaemonOptions().config("log: {level: debug, format: json}\n"));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  REQUIRE(d.stop() == 0);
  auto lines = lines_of(d.stderr_text());
  REQUIRE(lines.size() >= 3);
  bool saw_listening = false;
  for (const auto& line : lines) {
    INFO(line);
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.contains("ts"));
    CHECK(j.contains("level"));
    saw_listening = saw_listening || j["msg"].get<std::string>().rfind("listening on ", 0) == 0;
  }
  CHECK(saw_listening);
}

TEST_CASE("the listening line is printed even when the log level hides info") {
  DaemonProcess d(DaemonOptions().config("log: {level: error}\n"));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  CHECK(d.stop() == 0);
  CHECK(d.stderr_text() == "listening on 127.0.0.1:" + std::to_string(d.port()) + "\n");
}

TEST_CASE("secrets from config and environment never reach the log") {
  DaemonProcess d(DaemonOptions()
                      .config("server:\n  admin_token: \"admin-e2e-secret-1\"\n  api_keys: "
                              "[\"client-e2e-secret-2\"]\n"
                              "accounts:\n  - {id: a1, provider: openai, api_key: "
                              "\"${UPSTREAM_KEY}\", base_url: \"http://127.0.0.1:9\"}\n"
                              "log: {level: trace}\n")
                      .set_env("UPSTREAM_KEY", "sk-e2e-secret-3")
                      .set_env("QUOTAGUARD_TELEGRAM_TOKEN", "777:tg-e2e-secret-4"));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  d.get("/health", {{"Authorization", "Bearer admin-e2e-secret-1"}});
  CHECK(d.stop() == 0);
  std::string log = d.stderr_text() + d.stdout_text();
  CHECK(log.find("override: telegram.token from QUOTAGUARD_TELEGRAM_TOKEN") != std::string::npos);
  for (const char* secret :
       {"admin-e2e-secret-1", "client-e2e-secret-2", "sk-e2e-secret-3", "tg-e2e-secret-4"}) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
  }
}

TEST_CASE("two daemons on port 0 get different ports") {
  DaemonProcess a, b;
  std::string why;
  REQUIRE_MESSAGE(a.start(&why), why);
  REQUIRE_MESSAGE(b.start(&why), why);
  CHECK(a.port() != b.port());
  CHECK(a.get("/health").status == 200);
  CHECK(b.get("/health").status == 200);
  CHECK(a.stop() == 0);
  CHECK(b.stop() == 0);
}

// Issue 16 item 4, the original README's order with Docker: the config folder is mounted
// before config.yaml exists. The daemon starts on defaults + environment and says so; once
// config.yaml is written, a restart reads it.
TEST_CASE("serve before config.yaml exists: defaults + environment, logged, a restart reads the file") {
  TempDir mounted("qg-config-folder");
  const std::string path = mounted.str() + "/config.yaml";
  for (const std::string& named : {path, mounted.str()}) {  // the file not written yet, or the folder
    DaemonProcess d(DaemonOptions().set_env("QUOTAGUARD_CONFIG_PATH", named)
                        .set_env("QUOTAGUARD_ADMIN_TOKEN", "item4-admin-token-123456"));
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why);
    CHECK(d.stderr_text().find("no config file") != std::string::npos);
    auto status = d.get("/api/v1/status", {{"Authorization", "Bearer item4-admin-token-123456"}});
    CHECK(status.status == 200);  // the environment's admin token is in force
    CHECK(d.stop() == 0);
  }
  mounted.write("config.yaml", "router:\n  policy: fill_first\n");
  DaemonProcess d(DaemonOptions().set_env("QUOTAGUARD_CONFIG_PATH", path));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why);
  CHECK(d.stderr_text().find("no config file") == std::string::npos);
  CHECK(nlohmann::json::parse(d.get("/api/v1/policy").body)["policy"] == "fill_first");
  CHECK(d.stop() == 0);
}

TEST_CASE("serve raises its open-file soft limit to the hard limit and logs the streams it allows") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max <= 1024) {
    MESSAGE("hard limit " << saved.rlim_max << ": nothing to raise here");
    return;
  }
  rlimit low = saved;
  low.rlim_cur = 1024;  // the common default soft limit; the child inherits it
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  DaemonProcess d(DaemonOptions().config("server: {max_connections: 100}\n"));
  std::string why;
  const bool started = d.start(&why);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE_MESSAGE(started, why);
  // "Max open files   <soft>   <hard>   files"
  std::ifstream limits("/proc/" + std::to_string(d.pid()) + "/limits");
  std::string line, soft, hard_now;
  while (std::getline(limits, line))
    if (line.rfind("Max open files", 0) == 0) std::istringstream(line.substr(14)) >> soft >> hard_now;
  const std::string hard = saved.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(saved.rlim_max);
  CHECK(hard_now == hard);
  CHECK(soft == hard);
  const std::string log = d.stderr_text();
  if (saved.rlim_max != RLIM_INFINITY) {
    const std::string expected = "open files: limit " + hard + " (raised from 1024), room for ~" +
                                 std::to_string((saved.rlim_max - 64) / 2) + " concurrent streams";
    CHECK_MESSAGE(log.find(expected) != std::string::npos, log);
  }
  CHECK(d.stop() == 0);
}

TEST_CASE("server.threads 0 runs one actor scheduler worker per two cores, at least 1") {
  // The daemon's actor scheduler workers, counted by name: CAF 0.17.6 names each worker thread
  // "caf.multiplexer" (caf/scheduler/worker.hpp; the daemon loads no I/O middleman, whose
  // thread would share the name). Counting every thread instead raced with threads that come
  // and go at start-up (one more in 1 of ~50 runs under load).
  auto workers_of = [](const std::string& threads) {
    DaemonProcess d(DaemonOptions().config("server: {threads: " + threads + "}\n"));
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why);
    long n = 0;
    for (const auto& t : std::filesystem::directory_iterator("/proc/" + std::to_string(d.pid()) + "/task")) {
      std::ifstream comm(t.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (name == "caf.multiplexer") ++n;
    }
    CHECK(d.stop() == 0);
    return n;
  };
  const long per_two_cores = std::max<long>(1, std::thread::hardware_concurrency() / 2);
  CHECK(workers_of("9") == 9);
  // Before: one per core, at least 2 (and before that CAF's own default, at least 4).
  CHECK(workers_of("0") == per_two_cores);
}
