// tests/cliproxy/collector_policy_test.cpp — the collector's pure decisions.
#include "cliproxy/collector_policy.hpp"
#include "cliproxy/time_parse.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;

namespace {
constexpr TimeMs kNow = 1775800000000;  // 2026-04-10T05:46:40Z, before the sample's next_retry_after

AccountSpec cliproxy_spec(const std::string& type, const std::string& file) {
  AccountSpec s;
  s.provider = "cliproxy";
  s.origin = "cliproxy";
  s.type = type;
  s.file = file;
  return s;
}

std::vector<ManagedAuthFile> v69_listing() {
  std::string err;
  return *parse_auth_files(read_file(fixture_dir() / "management/auth-files.v6.9.json"), &err);
}
}  // namespace

TEST_CASE("poll interval adapts to activity and quota pressure, with bounded jitter") {
  auto d = [](std::int64_t requests, double used, double jitter = 0.5) {
    return next_poll_delay({60000, requests, used, jitter});
  };
  CHECK(d(0, 10) == 240000);    // idle with room: x4
  CHECK(d(0, 60) == 120000);    // idle, half used: x2
  CHECK(d(5, 10) == 30000);     // traffic: /2
  CHECK(d(5, 85) == 15000);     // near exhaustion: /4
  CHECK(d(0, 85) == 15000);
  CHECK(d(0, 10, 0.0) == 216000);  // -10 %
  CHECK(d(0, 10, 1.0) == 264000);  // +10 %
  CHECK(next_poll_delay({5000, 9, 95, 0.5}) == 10000);     // floor 10 s
  CHECK(next_poll_delay({600000, 0, 0, 0.5}) == 900000);   // ceiling 15 min
}

TEST_CASE("error decisions: 401/ban stop, 404 disables, transient backs off") {
  ManagementError unauthorized{ManagementErrorKind::unauthorized, 401, "key rejected"};
  auto a = decide_on_error(unauthorized, 1, 60000);
  CHECK(a.action == CollectorAction::stop_and_alert);
  CHECK(a.alert == "key rejected");
  CHECK(decide_on_error({ManagementErrorKind::banned, 403, "banned"}, 1, 60000).action == CollectorAction::stop_and_alert);
  CHECK(decide_on_error({ManagementErrorKind::disabled, 404, "off"}, 1, 60000).action == CollectorAction::disable_with_warning);
  ManagementError down{ManagementErrorKind::unreachable, 0, "unreachable"};
  CHECK(decide_on_error(down, 1, 60000).retry_in_ms == 60000);
  CHECK(decide_on_error(down, 1, 60000).alert == "");
  CHECK(decide_on_error(down, 2, 60000).retry_in_ms == 120000);
  CHECK(decide_on_error(down, 3, 60000).alert.find("3 polls in a row") != std::string::npos);
  CHECK(decide_on_error(down, 9, 60000).retry_in_ms == 900000);
}

TEST_CASE("listing: accounts matched by file, cooldowns mirrored, targets built") {
  std::map<std::string, AccountSpec> accounts = {
      {"codex-alice@example.com-9605fdb5", cliproxy_spec("codex", "codex-alice@example.com-plus.json")},
      {"claude-dave@example.com", cliproxy_spec("claude", "claude-dave@example.com.json")},
      {"gemini-alice@example.com-alice-gemini-proj-123456",
       cliproxy_spec("gemini", "gemini-alice@example.com-alice-gemini-proj-123456.json")},
      {"qwen-eve-alias", cliproxy_spec("qwen", "qwen-eve-alias.json")},
  };
  AccountSpec config_acct;
  config_acct.origin = "config";
  accounts["openai-main"] = config_acct;
  auto plan = plan_from_listing(v69_listing(), accounts, {}, kNow);

  REQUIRE(plan.events.size() == 1);  // codex alice is cooling in CLIProxyAPI
  CHECK(plan.events[0].account == "codex-alice@example.com-9605fdb5");
  auto* c = std::get_if<CooldownStarted>(&plan.events[0].payload);
  REQUIRE(c);
  CHECK(c->until == *parse_time_text("2026-04-10T17:12:00+08:00"));
  CHECK(c->reason == "upstream_cooldown");

  REQUIRE(plan.targets.size() == 3);  // qwen has no live-quota endpoint
  std::map<std::string, PollTarget> by_id;
  for (auto& t : plan.targets) by_id[t.account_id] = t;
  CHECK(by_id["codex-alice@example.com-9605fdb5"].auth_index == "2030e462cd0be36d");
  CHECK(by_id["codex-alice@example.com-9605fdb5"].request_json.find("00000000-aaaa-4bbb-8ccc-000000000001") != std::string::npos);
  CHECK(by_id["gemini-alice@example.com-alice-gemini-proj-123456"].project == "alice-gemini-proj-123456");
  CHECK(by_id["gemini-alice@example.com-alice-gemini-proj-123456"].kind == QuotaKind::gemini_cli);
  CHECK(plan.entry_of.count("qwen-eve-alias"));
  CHECK(plan.unmatched == std::vector<std::string>{"antigravity-grace@example.com.json",
                                                   "codex-e8a4c158-bob@example.com-team.json"});

  SUBCASE("an existing longer-or-equal cooldown is not restarted; a finished upstream cooldown ends") {
    std::map<std::string, KnownCooldown> cd = {
        {"codex-alice@example.com-9605fdb5", {c->until, "upstream_cooldown"}},
        {"claude-dave@example.com", {kNow + 60000, "upstream_cooldown"}},
        {"qwen-eve-alias", {kNow + 60000, "rate_limited"}},  // ours, not CLIProxyAPI's: kept
    };
    auto again = plan_from_listing(v69_listing(), accounts, cd, kNow);
    REQUIRE(again.events.size() == 1);
    CHECK(again.events[0].account == "claude-dave@example.com");
    CHECK(std::holds_alternative<CooldownEnded>(again.events[0].payload));
  }
  SUBCASE("disabled accounts are not polled") {
    accounts["claude-dave@example.com"].enabled = false;
    CHECK(plan_from_listing(v69_listing(), accounts, {}, kNow).targets.size() == 2);
  }
}

TEST_CASE("multi-project gemini entries match their own project") {
  ManagedAuthFile e;
  e.name = "gemini-bob-all.json";
  e.auth_index = "idx";
  e.project_id = "p1,p2";
  std::map<std::string, AccountSpec> accounts = {
      {"gemini-bob@example.com-p1", cliproxy_spec("gemini", "gemini-bob-all.json")},
      {"gemini-bob@example.com-p2", cliproxy_spec("gemini", "gemini-bob-all.json")},
  };
  auto plan = plan_from_listing({e}, accounts, {}, kNow);
  REQUIRE(plan.targets.size() == 2);
  CHECK(plan.targets[0].project == "p1");
  CHECK(plan.targets[1].project == "p2");
}

TEST_CASE("poll result: QuotaObserved source poll - reset-quota only when v7, cooling and room") {
  PollTarget t{"codex-alice@example.com-9605fdb5", "2030e462cd0be36d", QuotaKind::codex, "", ""};
  ManagedAuthFile cooling = v69_listing()[2];
  ApiCallResponse ok{200, {}, read_file(fixture_dir() / "upstream/codex-wham-usage.json")};

  auto d = decide_on_poll(t, cooling, ok, parse_cpa_version("v7.2.140"), kNow);
  REQUIRE(d.events.size() == 1);
  auto* obs = std::get_if<QuotaObserved>(&d.events[0].payload);
  REQUIRE(obs);
  CHECK(obs->source == QuotaSource::poll);
  CHECK(obs->windows.size() == 2);
  CHECK(d.events[0].ts == kNow);
  CHECK(d.reset_quota);  // 42 % used but CLIProxyAPI still cools it: stale cooldown
  REQUIRE(d.after_reset.size() == 1);
  CHECK(std::holds_alternative<CooldownEnded>(d.after_reset[0].payload));

  CHECK_FALSE(decide_on_poll(t, cooling, ok, parse_cpa_version("v6.9.25"), kNow).reset_quota);  // no route in v6
  ManagedAuthFile ready = v69_listing()[0];
  CHECK_FALSE(decide_on_poll(t, ready, ok, parse_cpa_version("v7.2.140"), kNow).reset_quota);
  ApiCallResponse full{200, {}, R"({"rate_limit":{"limit_reached":true,"primary_window":{"used_percent":100,"limit_window_seconds":18000,"reset_at":1775819520}}})"};
  CHECK_FALSE(decide_on_poll(t, cooling, full, parse_cpa_version("v7.2.140"), kNow).reset_quota);

  auto expired = decide_on_poll(t, cooling, ApiCallResponse{401, {}, "{}"}, parse_cpa_version("v7"), kNow);
  CHECK(expired.events.empty());
  CHECK(expired.note.find("401") != std::string::npos);
  auto junk = decide_on_poll(t, cooling, ApiCallResponse{200, {}, "<html>"}, parse_cpa_version("v7"), kNow);
  CHECK(junk.events.empty());
  CHECK(junk.note != "");
}
