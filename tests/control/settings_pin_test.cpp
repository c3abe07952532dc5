// tests/control/settings_pin_test.cpp — the router settings as the admin API answers them
// (GET/PUT /api/v1/{thresholds,policy,fallbacks,...}), in GET /api/v1/status and as Telegram's
// /qg_thresholds, /qg_policy, /qg_fallback print them, through the real Core: pinned byte for
// byte, so the typed settings view (issue 13) provably changes nothing a client sees.
#include "actors/control/core.hpp"
#include "http/admin_routes.hpp"
#include "messages/operations.hpp"
#include "messages/status_json.hpp"
#include "telegram/chat_format.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;

namespace {

Config pinned_config(const std::string& db) {
  Config c;
  c.storage.db_path = db;
  c.router.policy = RoutePolicy::fill_first;
  c.router.thresholds.warning = 80;
  c.router.thresholds.switch_at = 90.5;
  c.router.thresholds.critical = 95;
  c.router.anti_flapping.min_dwell = std::chrono::milliseconds{90'000};
  c.router.anti_flapping.cooldown_after_switch = std::chrono::milliseconds{0};
  c.router.anti_flapping.hysteresis = 2.5;
  c.router.fallback_chains["gpt-4o"] = {"gpt-4o-mini", "o1"};
  c.router.fallback_chains["claude-3"] = {"claude-3-haiku"};
  c.router.circuit_breaker.base = std::chrono::milliseconds{1500};
  return c;
}

std::string admin_body(Operations& ops, const std::string& key) {
  const auto a = ops.get_setting(key);
  REQUIRE(a.ok());
  return setting_body(a.value).dump();
}

}  // namespace

TEST_CASE("router settings: admin bodies, status settings and chat text are pinned byte for byte") {
  test::TempDir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto core = Core::start(sys, pinned_config(dir.file("qg.db")));
  Operations& ops = core->operations();
  CHECK(admin_body(ops, "thresholds") == R"({"critical":95.0,"switch":90.5,"warning":80.0})");
  CHECK(admin_body(ops, "policy") == R"({"policy":"fill_first"})");
  CHECK(admin_body(ops, "fallbacks") ==
        R"({"fallback_chains":{"claude-3":["claude-3-haiku"],"gpt-4o":["gpt-4o-mini","o1"]}})");
  CHECK(admin_body(ops, "anti_flapping") == R"({"cooldown_after_switch":"0s","hysteresis":2.5,"min_dwell":"1m30s"})");
  CHECK(admin_body(ops, "all_critical") == R"({"all_critical":"drain"})");
  CHECK(status_view_json(ops.status())["settings"].dump() ==
        R"({"all_critical":"drain","anti_flapping":{"cooldown_after_switch":"0s","hysteresis":2.5,"min_dwell":"1m30s"},)"
        R"("circuit_breaker":{"auth_cooldown":"6h","base":"1s500ms","cap":"10m","failures":5,"probe_timeout":"2m"},)"
        R"("fallback_chains":{"claude-3":["claude-3-haiku"],"gpt-4o":["gpt-4o-mini","o1"]},"policy":"fill_first",)"
        R"("route_by_client_key":false,"thresholds":{"critical":95.0,"switch":90.5,"warning":80.0}})");
  CHECK(telegram::format_setting(ops.get_setting("thresholds").value) ==
        "<b>Thresholds</b> (percent used)\nwarning 80 · switch 90.5 · critical 95");
  CHECK(telegram::format_setting(ops.get_setting("policy").value) == "<b>Policy</b>: fill_first");
  CHECK(telegram::format_setting(ops.get_setting("fallbacks").value) ==
        "<b>Fallback chains</b>\n  claude-3 → claude-3-haiku\n  gpt-4o → gpt-4o-mini o1\n");
  const auto put = ops.put_setting("policy", nlohmann::json{{"policy", "paced"}}, "admin");
  REQUIRE(put.ok());
  CHECK(setting_body(put.value).dump() == R"({"policy":"paced"})");
  const auto bad = ops.put_setting("thresholds", nlohmann::json{{"warning", 99}}, "admin");
  CHECK(bad.failure->error == OpError::invalid_argument);
  CHECK(bad.failure->message == "thresholds.warning: must be <= switch (90.5)");
  CHECK(ops.get_setting("nope").failure->error == OpError::not_found);
  core->stop();
}
