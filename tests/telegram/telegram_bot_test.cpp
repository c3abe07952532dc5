// tests/telegram/telegram_bot_test.cpp — the polling bot (TelegramBot + TelegramClient +
// SqliteBotStore on a real SQLite file) against the qg-fake-telegram process, with an
// in-test Operations. Covers replies, authorisation, malformed updates, restart without
// re-running commands, 401 handling, token pick-up without restart, alerts exactly once, mute,
// documents and message splitting through the fake's HTML checks.
#include "telegram/bot_settings.hpp"
#include "telegram/telegram_bot.hpp"
#include "http/telegram_client.hpp"
#include "tests/telegram/fake_telegram_process.hpp"
#include "tests/telegram/test_operations.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>

using namespace qg;
using namespace qg::telegram;
using qg::test::FakeTelegramProcess;
using nlohmann::json;

namespace {

constexpr std::int64_t kAdmin = 4242;
constexpr std::int64_t kAlertChat = -100500;

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    char tmpl[] = "/tmp/qg-telegram-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "qg.db").string(); }
};

// Captures every log line while alive.
struct LogCapture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
  std::string text() {
    spdlog::default_logger()->flush();
    return out.str();
  }
};

BotOptions options(const std::string& config_token) {
  BotOptions o;
  o.config_token = config_token;
  o.alert_chat = kAlertChat;
  o.commands.admins = {kAdmin};
  o.poll_timeout_s = 2;
  o.alert_interval_ms = 50;
  o.idle_recheck_ms = 50;
  o.backoff = BackoffConfig{50, 200};
  return o;
}

struct Harness {
  FakeTelegramProcess fake;
  TempDb db;
  test::TestOperations ops;
  std::unique_ptr<SqliteBotStore> store = std::make_unique<SqliteBotStore>(db.path());
  std::unique_ptr<TelegramBot> bot;

  Harness() {
    ops.add_account("openai-main", 100);
    ops.add_account("anthropic-2", 50);
  }
  void start(const std::string& config_token = test::kFakeBotToken) {
    bot = std::make_unique<TelegramBot>(options(config_token), ops, *store, telegram_client_factory(fake.base_url()));
    bot->start();
  }
  void restart() {
    bot->stop();
    bot.reset();
    store = std::make_unique<SqliteBotStore>(db.path());
    start();
  }
  std::vector<json> replies_to(std::int64_t chat, std::size_t n) {
    const json s = fake.wait_sent([&](const json& s) { return FakeTelegramProcess::of(s, "sendMessage", chat).size() >= n; });
    return FakeTelegramProcess::of(s, "sendMessage", chat);
  }
};

}  // namespace

TEST_CASE("the bot registers its commands and answers an admin's /qg_status with every account") {
  Harness h;
  h.start();
  h.fake.message(kAdmin, "/qg_status@qg_test_bot");
  const auto replies = h.replies_to(kAdmin, 1);
  REQUIRE(replies.size() == 1);
  const std::string text = replies[0]["text"];
  CHECK(text.find("openai-main</b> active") != std::string::npos);
  CHECK(text.find("anthropic-2</b> active") != std::string::npos);
  CHECK(replies[0]["parse_mode"] == "HTML");
  const auto menus = FakeTelegramProcess::of(h.fake.sent(), "setMyCommands");
  REQUIRE(menus.size() == 1);
  CHECK(menus[0]["commands"].size() == 18);
  CHECK(h.bot->health().polling);
  CHECK(h.bot->health().bot_username == "qg_test_bot");
}

TEST_CASE("a non-admin gets one refusal with their id and nothing changes") {
  Harness h;
  h.start();
  const auto mutations_before = h.ops.mutations();
  h.fake.message(777, "/qg_drain openai-main");
  h.fake.message(777, "/qg_drain openai-main");
  h.fake.message(777, "/qg_reset openai-main");
  h.fake.message(kAdmin, "/qg_help");  // a marker: once answered, the earlier ones were handled
  h.replies_to(kAdmin, 1);
  const auto refusals = FakeTelegramProcess::of(h.fake.sent(), "sendMessage", 777);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0]["text"].get<std::string>().find("<code>777</code>") != std::string::npos);
  CHECK(h.ops.mutations() == mutations_before);
  CHECK(h.ops.accounts()[0].state == "active");
}

TEST_CASE("malformed updates are logged and skipped - polling continues") {
  LogCapture logs;
  Harness h;
  h.start();
  h.fake.update(json{{"update_id", 5000}, {"message", "not an object"}});
  h.fake.update(json{{"update_id", 5001}, {"message", {{"text", "/qg_status"}}}});  // no chat
  h.fake.update(json::array({1, 2}));                                                   // not an object
  h.fake.message(kAdmin, "/qg_help");
  const auto replies = h.replies_to(kAdmin, 1);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["text"].get<std::string>().find("QuotaGuard commands") != std::string::npos);
  const std::string log = logs.text();
  CHECK(log.find("skipped malformed update 5000: update.message: must be an object") != std::string::npos);
  CHECK(log.find("skipped malformed update 5001: update.message.chat.id") != std::string::npos);
  CHECK(log.find("without an integer update_id") != std::string::npos);
}

TEST_CASE("after a restart no command runs twice (the offset is stored before running)") {
  Harness h;
  h.start();
  h.fake.message(kAdmin, "/qg_drain openai-main");
  REQUIRE(h.replies_to(kAdmin, 1).size() == 1);
  h.restart();
  h.fake.message(kAdmin, "/qg_help");
  REQUIRE(h.replies_to(kAdmin, 2).size() == 2);
  int drains = 0;
  for (const auto& c : h.ops.calls_snapshot()) drains += c.rfind("drain openai-main", 0) == 0;
  CHECK(drains == 1);
  CHECK(h.store->get(kKeyNextOffset).has_value());
}

TEST_CASE("a 401 stops polling with one clear log line - a new token resumes without restart") {
  LogCapture logs;
  Harness h;
  const std::string wrong = "999:WRONGwrongWRONGwrongWRONGwrongWRONG12";
  h.start(wrong);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (h.bot->health().error.find("401") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(h.bot->health().error.find("401") != std::string::npos);
  CHECK_FALSE(h.bot->health().polling);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several idle re-checks
  CHECK(h.fake.state()["get_me_calls"] == 0);                    // 401 before getMe counts: not retried
  std::string log = logs.text();
  std::size_t lines = 0;
  for (auto p = log.find("401 Unauthorized"); p != std::string::npos; p = log.find("401 Unauthorized", p + 1)) ++lines;
  CHECK(lines == 1);
  CHECK(log.find(wrong) == std::string::npos);
  CHECK(log.find("WRONGwrong") == std::string::npos);

  // /settoken or `quotaguard settoken` store a token; the bot switches to it.
  store_bot_token(*h.store, test::kFakeBotToken, wrong);
  h.bot->token_changed();
  h.fake.message(kAdmin, "/qg_help");
  CHECK(h.replies_to(kAdmin, 1).size() == 1);
  CHECK(h.bot->health().token_source == std::string("settings"));
  CHECK(logs.text().find(test::kFakeBotToken) == std::string::npos);
}

TEST_CASE("401 while polling (token revoked) stops polling") {
  Harness h;
  h.start();
  h.fake.message(kAdmin, "/qg_help");
  REQUIRE(h.replies_to(kAdmin, 1).size() == 1);
  h.fake.unauthorized(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (h.bot->health().polling && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(h.bot->health().polling);
  const auto calls = h.fake.state()["get_updates_calls"].get<int>();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(h.fake.state()["get_updates_calls"].get<int>() == calls);
}

TEST_CASE("started without a token the bot idles - then polls once one is set through Operations") {
  Harness h;
  h.ops.on_token = [&](const std::string& t) {
    store_bot_token(*h.store, t, "");
    h.bot->token_changed();
  };
  h.start("");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(h.bot->health().polling);
  CHECK(h.bot->health().token_source == std::string("none"));
  CHECK(h.fake.state()["get_me_calls"] == 0);
  CHECK(h.ops.set_telegram_token(test::kFakeBotToken, "cli").ok());
  h.fake.message(kAdmin, "/qg_help");
  CHECK(h.replies_to(kAdmin, 1).size() == 1);
}

TEST_CASE("a threshold crossing sends exactly one alert - also across a restart") {
  Harness h;
  h.start();
  h.fake.message(kAdmin, "/qg_help");  // wait until polling (alerts wait for a working token)
  REQUIRE(h.replies_to(kAdmin, 1).size() == 1);
  h.ops.append("openai-main", ThresholdCrossed{"warning", Metric::requests, 60, 86.0});
  h.ops.append("openai-main", ThresholdCrossed{"warning", Metric::requests, 60, 87.0});  // duplicate
  const auto alerts = h.replies_to(kAlertChat, 1);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["text"].get<std::string>().find("openai-main requests/1m at 86% used") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(FakeTelegramProcess::of(h.fake.sent(), "sendMessage", kAlertChat).size() == 1);
  h.restart();
  h.ops.append("anthropic-2", CooldownStarted{0, "auth", "401 from upstream: re-login", 1});
  const auto after = h.replies_to(kAlertChat, 2);
  REQUIRE(after.size() == 2);
  CHECK(after[1]["text"].get<std::string>().find("Re-login needed") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(FakeTelegramProcess::of(h.fake.sent(), "sendMessage", kAlertChat).size() == 2);
}

TEST_CASE("/qg_mute holds alerts back - also across a restart - and /qg_unmute says how many") {
  Harness h;
  h.start();
  h.fake.message(kAdmin, "/qg_mute 1h deploy");
  REQUIRE(h.replies_to(kAdmin, 1)[0]["text"].get<std::string>().find("Alerts muted until") != std::string::npos);
  h.ops.append("openai-main", ThresholdCrossed{"warning", Metric::requests, 60, 86.0});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(FakeTelegramProcess::of(h.fake.sent(), "sendMessage", kAlertChat).empty());
  h.restart();
  h.ops.append("anthropic-2", CooldownStarted{0, "auth", "401 from upstream: re-login", 1});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(FakeTelegramProcess::of(h.fake.sent(), "sendMessage", kAlertChat).empty());
  h.fake.message(kAdmin, "/qg_unmute");
  const auto replies = h.replies_to(kAdmin, 2);
  CHECK(replies[1]["text"].get<std::string>().find("2 alert(s) were muted") != std::string::npos);
  h.ops.append("openai-main", ThresholdCrossed{"critical", Metric::requests, 60, 96.0});
  const auto alerts = h.replies_to(kAlertChat, 1);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["text"].get<std::string>().find("openai-main requests/1m at 96% used") != std::string::npos);
}

TEST_CASE("history before the first start is not alerted") {
  Harness h;
  h.ops.append("openai-main", ThresholdCrossed{"critical", Metric::requests, 60, 99.0});
  h.start();
  h.fake.message(kAdmin, "/qg_help");
  REQUIRE(h.replies_to(kAdmin, 1).size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(FakeTelegramProcess::of(h.fake.sent(), "sendMessage", kAlertChat).empty());
}

TEST_CASE("/qg_export sends a multipart document - long replies are split into valid HTML messages") {
  Harness h;
  for (int i = 0; i < 120; ++i) h.ops.add_account("acct-<" + std::to_string(i) + ">&co", 1000);
  h.start();
  h.fake.message(kAdmin, "/qg_export");
  const json s = h.fake.wait_sent([](const json& s) { return !FakeTelegramProcess::of(s, "sendDocument").empty(); });
  const auto docs = FakeTelegramProcess::of(s, "sendDocument");
  REQUIRE(docs.size() == 1);
  CHECK(docs[0]["document"]["file_name"] == "quotaguard-export.yaml");
  CHECK(docs[0]["document"]["content"].get<std::string>().find("admin_token: \"${QUOTAGUARD_ADMIN_TOKEN}\"") != std::string::npos);
  h.fake.message(kAdmin, "/qg_status");
  // The reply comes in several messages (the fake rejects >4096 chars and broken HTML); wait
  // for the part naming the last account, however many parts come before it.
  const auto joined = [](const json& sent) {
    std::string all;
    for (const auto& p : FakeTelegramProcess::of(sent, "sendMessage", kAdmin)) all += p["text"].get<std::string>();
    return all;
  };
  const json sent = h.fake.wait_sent([&](const json& s) { return joined(s).find("acct-&lt;119&gt;&amp;co") != std::string::npos; });
  CHECK(FakeTelegramProcess::of(sent, "sendMessage", kAdmin).size() >= 3);
  CHECK(joined(sent).find("acct-&lt;119&gt;&amp;co") != std::string::npos);
}
