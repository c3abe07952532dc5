// tests/telegram/bot_commands_test.cpp — the command surface over an in-test Operations: each
// command's reply and validation, authorisation, per-chat rate limit, and the shared help/menu.
#include "telegram/bot_commands.hpp"
#include "tests/telegram/test_operations.hpp"

#include "messages/forecast_view.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::telegram;

namespace {

constexpr std::int64_t kAdmin = 42;
constexpr std::int64_t kStranger = 7;

struct Fixture {
  test::TestOperations ops;
  TimeMs now = 1'764'430'000'000;
  BotCommands commands{ops, CommandsOptions{{kAdmin}, {100, 100}, 600'000, 60'000, 50}, [this] { return now; }};

  Fixture() {
    ops.add_account("openai-main", 100);
    ops.add_account("backup<1>", 10);
    commands.set_bot_username("qg_test_bot");
  }
  std::string say(const std::string& text, std::int64_t user = kAdmin) {
    auto r = commands.handle(ChatMessage{1, user, user, "", text});
    return r ? r->html : "<no reply>";
  }
};

}  // namespace

TEST_CASE("/qg_status lists each account with its state - windows and the sticky routes") {
  Fixture f;
  f.ops.append("openai-main", AccountDrained{"test"});
  const std::string r = f.say("/qg_status");
  CHECK(r.find("openai-main</b> draining") != std::string::npos);
  CHECK(r.find("backup&lt;1&gt;</b> active") != std::string::npos);  // escaped
  CHECK(r.find("requests/1m 0%") != std::string::npos);
  CHECK(r.find("journal seq") != std::string::npos);
  CHECK(r.find("uptime 1h2m") != std::string::npos);
  CHECK(r.find("gpt-4o-mini → openai-main") != std::string::npos);
  CHECK(f.say("/qg_status@qg_test_bot") == r);
  CHECK(f.say("/qg_status extra").find("Usage") != std::string::npos);
}

TEST_CASE("/qg_status shows cooldown until and why") {
  Fixture f;
  f.ops.append("openai-main", CooldownStarted{f.now + 3600'000, "auth", "401: re-login needed", 1});
  const std::string r = f.say("/qg_status");
  CHECK(r.find("cooldown until") != std::string::npos);
  CHECK(r.find("auth: 401: re-login needed") != std::string::npos);
}

TEST_CASE("/qg_quotas shows used/limit per window") {
  Fixture f;
  const std::string r = f.say("/qg_quotas");
  CHECK(r.find("requests/1m: 0/100") != std::string::npos);
  CHECK(r.find("requests/1m: 0/10") != std::string::npos);
}

TEST_CASE("/qg_forecast shows pools and windows - /qg_status one line per pool (issue 18)") {
  Fixture f;
  ForecastView v;
  v.at = 1'764'430'000'000;
  v.half_life_ms = 900'000;
  v.critical_percent = 95;
  WindowForecast w;
  w.limit = 100;
  w.window_s = 3600;
  w.used_percent = 60;
  w.rate_per_s = 0.01;
  w.verdict = ForecastVerdict::runs_out;
  w.exhausts_at = v.at + 40 * 60'000;
  w.short_by_ms = 20 * 60'000;
  v.accounts.push_back({"openai-main", "active", {w}, v.at + 30 * 60'000, v.at + 3'600'000});
  v.pools.push_back({"gpt-4o", {"gpt-4o", "gpt-<4o>-mini"}, {{"openai-main", v.at + 30 * 60'000, v.at + 3'600'000}},
                     v.at + 30 * 60'000, v.at + 3'600'000});
  v.pools.push_back({"claude", {"claude"}, {}, 0, 0});
  f.ops.forecast_view = v;
  const std::string r = f.say("/qg_forecast");
  CHECK(r.find("gpt-4o → gpt-&lt;4o&gt;-mini: <b>runs dry in 30m</b> (until 1h from now)") != std::string::npos);
  CHECK(r.find("claude: not dry before its resets") != std::string::npos);
  CHECK(r.find("requests/1h 60% · 36.0/h · <b>runs out in 40m</b> (20m before reset)") != std::string::npos);
  CHECK(f.say("/qg_forecast now").find("Usage") != std::string::npos);
  const std::string status = f.say("/qg_status");
  CHECK(status.find("<b>Pools</b> (forecast)") != std::string::npos);
  CHECK(status.find("runs dry in 30m") != std::string::npos);
}

TEST_CASE("non-admins get one refusal showing their id - and nothing runs") {
  Fixture f;
  const auto before = f.ops.calls_snapshot().size();  // every call, reads included
  const std::string r = f.say("/qg_drain openai-main", kStranger);
  CHECK(r.find("Not authorised") != std::string::npos);
  CHECK(r.find("<code>7</code>") != std::string::npos);
  CHECK(f.say("/qg_drain openai-main", kStranger) == "<no reply>");  // no reply storm
  CHECK(f.say("/qg_status", kStranger) == "<no reply>");
  CHECK(f.ops.calls_snapshot().size() == before);  // no verb ran
  f.now += 600'000;
  CHECK(f.say("/qg_status", kStranger).find("Not authorised") != std::string::npos);
}

TEST_CASE("messages that are not our commands are ignored silently") {
  Fixture f;
  CHECK(f.say("hello") == "<no reply>");
  CHECK(f.say("/start") == "<no reply>");
  CHECK(f.say("/qg_status@SomeOtherBot") == "<no reply>");
  CHECK(f.say("hi", kStranger) == "<no reply>");
}

TEST_CASE("unknown /qg_ commands get a help hint - /qg_help lists every command") {
  Fixture f;
  CHECK(f.say("/qg_nope").find("Send /qg_help") != std::string::npos);
  const std::string help = f.say("/qg_help");
  for (const char* c : {"/qg_status", "/qg_quotas", "/qg_forecast", "/qg_thresholds", "/qg_policy", "/qg_fallback", "/qg_import",
                        "/qg_forget", "/qg_export", "/qg_reload", "/qg_drain", "/qg_resume", "/qg_reset", "/qg_events", "/settoken"})
    CHECK_MESSAGE(help.find(c) != std::string::npos, c);
  CHECK(command_menu().size() == 18);
}

TEST_CASE("/qg_thresholds shows - validates and sets through put_setting") {
  Fixture f;
  CHECK(f.say("/qg_thresholds").find("warning 85") != std::string::npos);
  for (const char* bad : {"/qg_thresholds 80 90", "/qg_thresholds a b c", "/qg_thresholds 95 90 80",
                          "/qg_thresholds 0 90 95", "/qg_thresholds 80 90 101", "/qg_thresholds 80 90 95 99"}) {
    CHECK_MESSAGE(f.say(bad).find("Usage: <code>/qg_thresholds") != std::string::npos, bad);
  }
  for (const auto& c : f.ops.calls_snapshot()) CHECK(c.find("put_setting") == std::string::npos);
  const std::string ok = f.say("/qg_thresholds 80 90 95");
  CHECK(ok.find("Thresholds updated") != std::string::npos);
  CHECK(ok.find("warning 80") != std::string::npos);
  const auto calls = f.ops.calls_snapshot();
  CHECK(calls.back() == "put_setting thresholds {\"critical\":95.0,\"switch\":90.0,\"warning\":80.0} by telegram:42");
  // Issue 16 item 2: equal neighbours are what config.yaml accepts too (config/thresholds_rule),
  // so the bot neither refuses them nor lets through what an export could not load.
  CHECK(f.say("/qg_thresholds 90 90 95").find("Thresholds updated") != std::string::npos);
  CHECK(f.say("/qg_thresholds 90% 95% 95%").find("Thresholds updated") != std::string::npos);
  CHECK(f.say("/qg_thresholds 95 90 99").find("warning must be &lt;= switch (90)") != std::string::npos);
}

TEST_CASE("/qg_policy and /qg_fallback pass validation errors from Operations through") {
  Fixture f;
  CHECK(f.say("/qg_policy").find("balanced") != std::string::npos);
  CHECK(f.say("/qg_policy Fill_First").find("Policy updated") != std::string::npos);
  CHECK(f.say("/qg_policy bogus").find("❌ policy: unknown policy") != std::string::npos);
  CHECK(f.say("/qg_policy a b").find("Usage") != std::string::npos);
  CHECK(f.say("/qg_fallback").find("none") != std::string::npos);
  CHECK(f.say("/qg_fallback {nope").find("Usage") != std::string::npos);
  CHECK(f.say("/qg_fallback [1]").find("Usage") != std::string::npos);
  const std::string ok = f.say("/qg_fallback {\"gpt-4o\": [\"gpt-4o-mini\"]}");
  CHECK(ok.find("gpt-4o → gpt-4o-mini") != std::string::npos);
}

TEST_CASE("/qg_drain - /qg_resume - /qg_reset need exactly one account and report 404s") {
  Fixture f;
  CHECK(f.say("/qg_drain").find("Usage: <code>/qg_drain &lt;account&gt;") != std::string::npos);
  CHECK(f.say("/qg_drain a b").find("Usage") != std::string::npos);
  CHECK(f.say("/qg_drain ghost").find("❌ account &quot;ghost&quot; not found") != std::string::npos);
  CHECK(f.say("/qg_drain openai-main").find("✅ openai-main drained") != std::string::npos);
  CHECK(f.ops.calls_snapshot().back() == "drain openai-main by telegram:42");
  CHECK(f.say("/qg_resume openai-main").find("resumed") != std::string::npos);
  CHECK(f.say("/qg_reset openai-main").find("cooldown cleared") != std::string::npos);
}

TEST_CASE("/qg_events shows the last n events and validates n") {
  Fixture f;
  f.ops.append("openai-main", AccountDrained{"x"});
  const std::string r = f.say("/qg_events 2");
  CHECK(r.find("AccountDrained") != std::string::npos);
  CHECK(r.find("#3") != std::string::npos);
  CHECK(r.find("#1 ") == std::string::npos);
  CHECK(f.say("/qg_events 0").find("Usage") != std::string::npos);
  CHECK(f.say("/qg_events 51").find("Usage") != std::string::npos);
  CHECK(f.say("/qg_events x").find("Usage") != std::string::npos);
}

TEST_CASE("/qg_export answers a document - /qg_import and /qg_reload run their verbs") {
  Fixture f;
  auto r = f.commands.handle(ChatMessage{1, kAdmin, kAdmin, "", "/qg_export"});
  REQUIRE(r);
  REQUIRE(r->document);
  CHECK(r->document->filename == "quotaguard-export.yaml");
  CHECK(r->document->content.find("${QUOTAGUARD_ADMIN_TOKEN}") != std::string::npos);
  CHECK(r->document->caption.find("${VAR}") != std::string::npos);  // the reply says how it loads
  CHECK(f.say("/qg_import /tmp/auths").find("Import done") != std::string::npos);
  CHECK(f.ops.calls_snapshot().back() == "import /tmp/auths by telegram:42");
  CHECK(f.say("/qg_reload").find("reloaded") != std::string::npos);
}

TEST_CASE("/qg_forget lists the folders alone and forgets an imported one through Operations") {
  Fixture f;
  const std::string list = f.say("/qg_forget");
  CHECK(list.find("configured: <code>/auth</code>") != std::string::npos);
  CHECK(list.find("imported: <code>/imports/a</code> (2 accounts, by cli)") != std::string::npos);
  const std::string done = f.say("/qg_forget /imports/a");
  CHECK(done.find("Folder forgotten: <code>/imports/a</code>, 2 account(s) removed") != std::string::npos);
  CHECK(f.ops.calls_snapshot().back() == "forget /imports/a by telegram:42");
  CHECK(f.say("/qg_forget /elsewhere").find("not an imported folder") != std::string::npos);
}

TEST_CASE("/settoken validates - stores through Operations - and asks to delete the message") {
  Fixture f;
  CHECK(f.say("/settoken").find("Usage") != std::string::npos);
  CHECK(f.say("/settoken nonsense").find("does not look like a bot token") != std::string::npos);
  CHECK(f.ops.token.empty());
  auto r = f.commands.handle(ChatMessage{55, kAdmin, kAdmin, "", "/settoken 123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"});
  REQUIRE(r);
  CHECK(r->html.find("Token stored") != std::string::npos);
  CHECK(r->html.find("Delete your message") != std::string::npos);
  CHECK(r->html.find("AAHdq") == std::string::npos);  // never echoed
  CHECK(r->delete_message_id == 55);
  CHECK(f.ops.token == "123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
  CHECK(f.say("/settoken 123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", kStranger).find("Not authorised") != std::string::npos);
}

TEST_CASE("per-chat rate limit: a burst gets one notice - then silence - other chats unaffected") {
  test::TestOperations ops;
  TimeMs now = 0;
  BotCommands c(ops, CommandsOptions{{kAdmin}, {2, 0.5}, 600'000, 60'000, 50}, [&] { return now; });
  const auto say = [&](std::int64_t chat) {
    auto r = c.handle(ChatMessage{1, chat, kAdmin, "", "/qg_help"});
    return r ? r->html : "<no reply>";
  };
  CHECK(say(1).find("commands") != std::string::npos);
  CHECK(say(1).find("commands") != std::string::npos);
  CHECK(say(1).find("Too many commands") != std::string::npos);
  CHECK(say(1) == "<no reply>");
  CHECK(say(2).find("commands") != std::string::npos);
  now += 2000;
  CHECK(say(1).find("QuotaGuard commands") != std::string::npos);
}
