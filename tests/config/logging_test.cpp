// Logging: registered secrets never reach a log line (text or JSON), levels, JSON shape.
#include "config/logging.hpp"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace {

// Captures what the logging set-up writes, through a real FILE*.
class CapturedLog {
 public:
  explicit CapturedLog(qg::LogConfig cfg) : file_(std::tmpfile()) {
    REQUIRE(file_ != nullptr);
    qg::setup_logging(cfg, file_);
  }
  ~CapturedLog() {
    qg::setup_logging(qg::LogConfig{}, stderr);
    std::fclose(file_);
  }
  std::string text() {
    spdlog::default_logger()->flush();
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* file_;
};

}  // namespace

TEST_CASE("redact: every registered secret is replaced, longest first") {
  qg::clear_secrets_for_testing();
  qg::register_secret("sk-abc123");
  qg::register_secret("sk-abc123-longer");
  qg::register_secret("abc");  // too short to be registered
  CHECK(qg::redact("key=sk-abc123-longer and sk-abc123.") == "key=*** and ***.");
  CHECK(qg::redact("abc stays") == "abc stays");
  CHECK(qg::contains_secret("x sk-abc123 y"));
  CHECK_FALSE(qg::contains_secret("nothing here"));
  qg::clear_secrets_for_testing();
}

TEST_CASE("no registered secret passes through spdlog, at any level or in any format") {
  qg::clear_secrets_for_testing();
  qg::Config cfg;
  cfg.server.admin_token = "admin-token-123456";
  cfg.server.api_keys = {"client-key-abcdef"};
  cfg.telegram.token = "999:telegram-token-xyz";
  cfg.cliproxy.api_key = "cliproxy-key-1";
  cfg.cliproxy.management_key = "mgmt-key-2";
  cfg.accounts.push_back(qg::AccountConfig{});
  cfg.accounts[0].api_key = "sk-upstream-key-3";
  qg::register_config_secrets(cfg);
  auto secrets = qg::config_secrets(cfg);
  REQUIRE(secrets.size() == 6);

  for (auto format : {qg::LogFormat::text, qg::LogFormat::json}) {
    CapturedLog log(qg::LogConfig{qg::LogLevel::trace, format});
    auto named = qg::make_logger("test.module");
    for (const auto& s : secrets) {
      spdlog::trace("trace {}", s);
      spdlog::info("calling upstream with Authorization: Bearer {}", s);
      spdlog::error("error {} end", s);
      named->warn("named logger {}", s);
    }
    std::string out = log.text();
    for (const auto& s : secrets) {
      INFO(s);
      CHECK(out.find(s) == std::string::npos);
    }
    CHECK(out.find("Authorization: Bearer ***") != std::string::npos);
    CHECK(out.find("named logger ***") != std::string::npos);
  }
  qg::clear_secrets_for_testing();
}

TEST_CASE("JSON format writes one escaped object per line") {
  CapturedLog log(qg::LogConfig{qg::LogLevel::info, qg::LogFormat::json});
  spdlog::info("say \"hi\"\nnext");
  std::string out = log.text();
  CHECK(out.rfind("{\"ts\":\"", 0) == 0);
  CHECK(out.find("\"level\":\"info\",\"logger\":\"quotaguard\",\"msg\":\"say \\\"hi\\\"\\nnext\"}\n") !=
        std::string::npos);
  CHECK(out.find('\n') == out.size() - 1);
}

TEST_CASE("the level from config filters lines") {
  CapturedLog log(qg::LogConfig{qg::LogLevel::warn, qg::LogFormat::text});
  spdlog::info("quiet-info-line");
  spdlog::warn("loud-warn-line");
  std::string out = log.text();
  CHECK(out.find("quiet-info-line") == std::string::npos);
  CHECK(out.find("loud-warn-line") != std::string::npos);
  CHECK_FALSE(qg::log_enabled(qg::LogLevel::info));
  CHECK(qg::log_enabled(qg::LogLevel::error));
}

TEST_CASE("log_with_fields: JSON members with log.format json, key=value with text, no forged lines") {
  qg::clear_secrets_for_testing();
  qg::register_secret("sk-field-secret");
  const std::vector<qg::LogField> fields = {{"request_id", "r-1", false},
                                            {"model", "evil\nmodel \"x\" sk-field-secret", false},
                                            {"status", "200", true}};
  {
    qg::LogConfig cfg;
    cfg.format = qg::LogFormat::json;
    CapturedLog log(cfg);
    qg::log_with_fields(*spdlog::default_logger(), "request", fields);
    const std::string out = log.text();
    CHECK(out.find(R"("msg":"request","request_id":"r-1","model":"evil\nmodel \"x\" ***","status":200})") !=
          std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
  {
    CapturedLog log(qg::LogConfig{});
    qg::log_with_fields(*spdlog::default_logger(), "request", fields);
    const std::string out = log.text();
    CHECK(out.find(R"(quotaguard: request request_id=r-1 model="evil\x0amodel \"x\" ***" status=200)") !=
          std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
  qg::LogConfig off;
  off.access = false;
  CapturedLog log(off);
  CHECK_FALSE(qg::access_log_enabled());
  qg::clear_secrets_for_testing();
}

// ctest runs each case in its own process, so here the logging set-up has not run yet: the
// first make_logger() comes from a worker thread (the access log's lazy logger) while other
// threads log through the default logger. It must leave the default logger in place; it
// used to install its own, freeing the one in use (heap-use-after-free under ASan in the
// proxy tests).
TEST_CASE("a named logger made before set-up leaves the default logger alone") {
  auto mine = std::make_shared<spdlog::logger>("mine");
  spdlog::set_default_logger(mine);
  auto named = qg::make_logger("early.module");
  REQUIRE(named != nullptr);
  CHECK(spdlog::default_logger().get() == mine.get());
  CHECK(qg::make_logger("early.module").get() == named.get());
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
}
