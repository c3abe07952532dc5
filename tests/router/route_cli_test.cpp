// `quotaguard route`: the real binary, offline from config + event log, and against a daemon.
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg::test;
using nlohmann::json;

namespace {

// Two config accounts for gpt-4o-mini; fill_first prefers "alpha" (higher priority).
const char* const kConfig = R"(accounts:
  - id: alpha
    provider: openai
    base_url: "http://127.0.0.1:9/v1"
    api_key: "sk-route-test-secret-alpha"
    models: ["gpt-4o-mini"]
    priority: 5
    limits: [{metric: requests, window: 1d, limit: 1000}]
  - id: bravo
    provider: openai
    base_url: "http://127.0.0.1:9/v1"
    api_key: "sk-route-test-secret-bravo"
    models: ["gpt-4o-mini", "gpt-4o"]
    priority: 1
    limits: [{metric: requests, window: 1d, limit: 1000}]
router:
  policy: fill_first
)";

void check_decision(const json& j) {
  CHECK(j.at("chosen") == "alpha");
  CHECK(j.at("policy") == "fill_first");
  REQUIRE(j.at("candidates").size() == 2);
  CHECK(j.at("candidates")[0].at("account") == "alpha");
  CHECK(j.at("candidates")[1].at("account") == "bravo");
  CHECK(j.at("candidates")[0].at("windows")[0].at("limit") == 1000);
  CHECK(j.at("error").is_null());
}

}  // namespace

TEST_CASE("route --offline explains the decision from config and the event log") {
  TempDir dir;
  const std::string config = dir.write("config.yaml", kConfig);
  auto r = run_quotaguard({"route", "--model", "gpt-4o-mini", "--json", "--offline", "--config", config,
                           "--db", dir.file("q.db")},
                          RunOptions{{}, dir.str(), "", std::chrono::seconds{30}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  check_decision(j);
  CHECK(j.at("source").get<std::string>().rfind("offline", 0) == 0);
  CHECK(r.out.find("sk-route-test-secret") == std::string::npos);

  // Text form, and a model nobody serves: exit 1 with the reason.
  auto none = run_quotaguard({"route", "--model", "claude-3", "--offline", "--config", config,
                              "--db", dir.file("q.db")},
                             RunOptions{{}, dir.str(), "", std::chrono::seconds{30}});
  CHECK(none.exit_code == 1);
  CHECK(none.out.find("no account: no_account_for_model - no enabled account serves model claude-3\n") !=
        std::string::npos);
  CHECK(none.out.find("alpha  [claude-3] not_serving_model") != std::string::npos);
}

TEST_CASE("route asks the running daemon first") {
  DaemonOptions options;
  options.config_yaml = kConfig;
  DaemonProcess d(options);
  std::string why;
  const bool started = d.start(&why);
  INFO(why);
  INFO(d.stderr_text());
  REQUIRE(started);
  auto r = run_quotaguard({"route", "--model", "gpt-4o-mini", "--json", "--url", d.base_url(), "--config",
                           d.config_path()},
                          RunOptions{{}, d.dir().str(), "", std::chrono::seconds{30}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  check_decision(j);
  CHECK(j.at("source") == "daemon");
  CHECK(d.stop() == 0);
}

TEST_CASE("route without --model is a usage error") {
  CHECK(run_quotaguard({"route", "--json"}).exit_code == 2);
}
