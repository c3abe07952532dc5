// tests/telegram/telegram_e2e_test.cpp — the real `quotaguard serve` with Telegram on, talking
// to qg-fake-telegram: replies, authorisation, persistence of /qg_thresholds across a
// restart, usage replies, malformed updates, no re-run after restart, one alert per
// threshold crossing, the forwarded-update route, `settoken` and the `telegram` check.
#include "tests/support/daemon_process.hpp"
#include "tests/telegram/fake_telegram_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <thread>

using nlohmann::json;
using qg::test::DaemonOptions;
using qg::test::DaemonProcess;
using qg::test::FakeTelegramProcess;
using qg::test::TempDir;

namespace {

constexpr std::int64_t kAdmin = 4242;
constexpr std::int64_t kStranger = 777;
constexpr std::int64_t kAlertChat = -100500;

std::string config_yaml(const FakeTelegramProcess& fake, const std::string& token = qg::test::kFakeBotToken,
                        const std::string& extra = "") {
  return "accounts:\n"
         "  - {id: openai-main, provider: openai, base_url: \"http://127.0.0.1:9/v1\", api_key: \"sk-e2e-openai-0001\",\n"
         "     limits: [{metric: requests, window: 1d, limit: 100}]}\n"
         "  - {id: anthropic-2, provider: anthropic, base_url: \"http://127.0.0.1:9/v1\", api_key: \"sk-e2e-anthropic-0002\",\n"
         "     limits: [{metric: requests, window: 1d, limit: 100}]}\n"
         "telegram:\n"
         "  enabled: true\n"
         "  token: \"" + token + "\"\n"
         "  api_base: \"" + fake.base_url() + "\"\n"
         "  admins: [" + std::to_string(kAdmin) + "]\n"
         "  alert_chat: " + std::to_string(kAlertChat) + "\n" + extra;
}

struct Env {
  FakeTelegramProcess fake;
  TempDir data{"qg-telegram-e2e"};
  std::unique_ptr<DaemonProcess> daemon;

  void start(const std::string& token = qg::test::kFakeBotToken, const std::string& extra = "") {
    DaemonOptions o;
    o.config_yaml = config_yaml(fake, token, extra);
    o.args = {"--db", data.file("qg.db")};
    daemon = std::make_unique<DaemonProcess>(o);
    std::string why;
    const bool started = daemon->start(&why);
    REQUIRE_MESSAGE(started, std::string(why + "\n" + daemon->stderr_text()));
  }
  void restart() {
    CHECK(daemon->stop() == 0);
    start();
  }
  std::vector<json> replies(std::int64_t chat, std::size_t n) {
    const json s = fake.wait_sent([&](const json& s) { return FakeTelegramProcess::of(s, "sendMessage", chat).size() >= n; });
    return FakeTelegramProcess::of(s, "sendMessage", chat);
  }
  std::string last_reply(std::int64_t chat, std::size_t n) {
    auto r = replies(chat, n);
    return r.size() >= n ? r[n - 1]["text"].get<std::string>() : "<no reply>";
  }
  std::string state_of(const std::string& id) {
    const json a = json::parse(daemon->get("/api/v1/accounts/" + id).body, nullptr, false);
    return a.is_object() ? a.value("state", "?") : "?";
  }
};

}  // namespace

TEST_CASE("e2e: admin /qg_status lists each account and its state") {
  Env e;
  e.start();
  e.fake.message(kAdmin, "/qg_status");
  const std::string text = e.last_reply(kAdmin, 1);
  CHECK(text.find("openai-main</b> active") != std::string::npos);
  CHECK(text.find("anthropic-2</b> active") != std::string::npos);
  CHECK(text.find("journal seq") != std::string::npos);
  const std::string log = e.daemon->stderr_text();
  CHECK(log.find("polling as @qg_test_bot") != std::string::npos);
  CHECK(log.find(qg::test::kFakeBotToken) == std::string::npos);
}

TEST_CASE("e2e: a non-admin gets one refusal with their id and nothing changes") {
  Env e;
  e.start();
  e.fake.message(kStranger, "/qg_drain openai-main");
  e.fake.message(kStranger, "/qg_drain openai-main");
  e.fake.message(kAdmin, "/qg_help");
  REQUIRE(e.replies(kAdmin, 1).size() == 1);
  const auto refusals = FakeTelegramProcess::of(e.fake.sent(), "sendMessage", kStranger);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0]["text"].get<std::string>().find("<code>777</code>") != std::string::npos);
  CHECK(e.state_of("openai-main") == "active");
}

TEST_CASE("e2e: /qg_thresholds 80 90 95 persists and survives a restart - bad arguments get usage") {
  Env e;
  e.start();
  e.fake.message(kAdmin, "/qg_thresholds 80 90");
  CHECK(e.last_reply(kAdmin, 1).find("Usage: <code>/qg_thresholds") != std::string::npos);
  e.fake.message(kAdmin, "/qg_thresholds 80 90 95");
  CHECK(e.last_reply(kAdmin, 2).find("Thresholds updated") != std::string::npos);
  json t = json::parse(e.daemon->get("/api/v1/thresholds").body, nullptr, false);
  CHECK(t.dump().find("80") != std::string::npos);
  e.restart();
  t = json::parse(e.daemon->get("/api/v1/thresholds").body, nullptr, false);
  REQUIRE(t.is_object());
  const json th = t.contains("thresholds") ? t["thresholds"] : t;
  CHECK(th.value("warning", 0.0) == doctest::Approx(80));
  CHECK(th.value("critical", 0.0) == doctest::Approx(95));
  e.fake.message(kAdmin, "/qg_thresholds");
  CHECK(e.last_reply(kAdmin, 3).find("warning 80") != std::string::npos);
}

TEST_CASE("e2e: malformed updates are logged and skipped - polling continues") {
  Env e;
  e.start();
  e.fake.update(json{{"update_id", 9000}, {"message", "garbage"}});
  e.fake.message(kAdmin, "/qg_help");
  CHECK(e.last_reply(kAdmin, 1).find("QuotaGuard commands") != std::string::npos);
  CHECK(e.daemon->stderr_text().find("skipped malformed update 9000") != std::string::npos);
}

TEST_CASE("e2e: a restart does not re-run old commands") {
  Env e;
  e.start();
  e.fake.message(kAdmin, "/qg_drain openai-main");
  CHECK(e.last_reply(kAdmin, 1).find("drained") != std::string::npos);
  CHECK(e.state_of("openai-main") == "draining");
  CHECK(e.daemon->post("/api/v1/accounts/openai-main/resume", "{}").status == 200);
  e.restart();
  e.fake.message(kAdmin, "/qg_help");
  REQUIRE(e.replies(kAdmin, 2).size() == 2);
  CHECK(e.state_of("openai-main") == "active");
  CHECK(e.replies(kAdmin, 2).size() == 2);  // no second "drained" reply
}

TEST_CASE("e2e: a threshold crossing sends exactly one alert") {
  Env e;
  e.start();
  e.fake.message(kAdmin, "/qg_help");
  REQUIRE(e.replies(kAdmin, 1).size() == 1);
  const auto ingest = [&](int remaining) {
    return e.daemon->post("/ingest", json{{"account_id", "openai-main"}, {"provider", "openai"},
                                          {"effective_remaining_percent", remaining}}.dump());
  };
  REQUIRE(ingest(12).status == 200);  // 88 % used: past warning (85)
  REQUIRE(ingest(11).status == 200);  // still past warning: no new alert
  const auto alerts = e.replies(kAlertChat, 1);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["text"].get<std::string>().find("openai-main") != std::string::npos);
  CHECK(alerts[0]["text"].get<std::string>().find("Warning") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the alerter runs every 2 s
  CHECK(FakeTelegramProcess::of(e.fake.sent(), "sendMessage", kAlertChat).size() == 1);
}

TEST_CASE("e2e: the forwarded-update endpoint answers the sendMessage call for /qg_status") {
  Env e;
  e.start();
  const json update{{"update_id", 1},
                    {"message", {{"message_id", 5}, {"from", {{"id", kAdmin}, {"is_bot", false}, {"first_name", "Op"}}},
                                 {"chat", {{"id", kAdmin}, {"type", "private"}}}, {"date", 1764430000},
                                 {"text", "/qg_status"}}}};
  auto r = e.daemon->post("/api/v1/telegram/update", update.dump());
  REQUIRE(r.status == 200);
  const json call = json::parse(r.body);
  CHECK(call["method"] == "sendMessage");
  CHECK(call["chat_id"] == kAdmin);
  CHECK(call["parse_mode"] == "HTML");
  CHECK(call["text"].get<std::string>().find("openai-main</b> active") != std::string::npos);
  auto bad = e.daemon->post("/api/v1/telegram/update", R"({"message":{}})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("update.update_id") != std::string::npos);
  auto other = e.daemon->post("/api/v1/telegram/update", R"({"update_id":2,"message":{"chat":{"id":1},"from":{"id":1},"text":"hello"}})");
  CHECK(other.status == 200);
  CHECK(json::parse(other.body) == json::object());
}

TEST_CASE("e2e: started with a rejected token the bot idles - `quotaguard settoken` fixes it without restart") {
  Env e;
  e.start("999:WRONGwrongWRONGwrongWRONGwrongWRONG12");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (e.daemon->stderr_text().find("401 Unauthorized") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(e.daemon->stderr_text().find("rejected by Telegram (401 Unauthorized)") != std::string::npos);
  CHECK(e.daemon->stderr_text().find("WRONGwrong") == std::string::npos);
  qg::test::RunOptions ro;
  ro.cwd = e.daemon->dir().str();
  auto bad = qg::test::run_quotaguard({"settoken", "nope", "--config", e.daemon->config_path(), "--db", e.data.file("qg.db")}, ro);
  CHECK(bad.exit_code == 2);
  auto ok = qg::test::run_quotaguard({"settoken", qg::test::kFakeBotToken, "--config", e.daemon->config_path(),
                                      "--db", e.data.file("qg.db")}, ro);
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
  CHECK(ok.out.find(qg::test::kFakeBotToken) == std::string::npos);
  e.fake.message(kAdmin, "/qg_help");
  CHECK(e.last_reply(kAdmin, 1).find("QuotaGuard commands") != std::string::npos);
}

TEST_CASE("e2e: `quotaguard check` validates the Telegram token") {
  FakeTelegramProcess fake;
  TempDir dir;
  const std::string good = dir.write("good.yaml", config_yaml(fake));
  const std::string bad = dir.write("bad.yaml", config_yaml(fake, "999:WRONGwrongWRONGwrongWRONGwrongWRONG12"));
  qg::test::RunOptions ro;
  ro.cwd = dir.str();
  auto r = qg::test::run_quotaguard({"check", "--config", good}, ro);
  CHECK(r.out.find("@qg_test_bot") != std::string::npos);
  auto f = qg::test::run_quotaguard({"check", "--config", bad}, ro);
  CHECK(f.exit_code == 1);
  CHECK(f.out.find("401") != std::string::npos);
  CHECK(f.out.find("WRONGwrong") == std::string::npos);
}

TEST_CASE("e2e: webhook mode - setWebhook, no polling, the secret header gates POST /telegram/webhook, an update runs once") {
  Env e;
  e.start(qg::test::kFakeBotToken,
          "  webhook_url: \"https://qg.example.test/telegram/webhook\"\n"
          "  webhook_secret: \"wh-Secret_42\"\n");
  const json set = e.fake.wait_sent([](const json& s) { return !FakeTelegramProcess::of(s, "setWebhook").empty(); });
  const auto hooks = FakeTelegramProcess::of(set, "setWebhook");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["url"] == "https://qg.example.test/telegram/webhook");
  CHECK(hooks[0]["secret_token"] == "wh-Secret_42");
  const json update = {{"update_id", 5001},
                       {"message", {{"message_id", 1}, {"date", 1764430000},
                                    {"from", {{"id", kAdmin}, {"is_bot", false}, {"first_name", "Op"}}},
                                    {"chat", {{"id", kAdmin}, {"type", "private"}}},
                                    {"text", "/qg_status"}}}};
  // Without the secret, or with a wrong one: 401, nothing runs.
  CHECK(e.daemon->post("/telegram/webhook", update.dump()).status == 401);
  CHECK(e.daemon->post("/telegram/webhook", update.dump(), {{"X-Telegram-Bot-Api-Secret-Token", "wh-Secret_43"}}).status == 401);
  CHECK(e.daemon->post("/telegram/webhook", "{not json", {{"X-Telegram-Bot-Api-Secret-Token", "wh-Secret_42"}}).status == 400);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(FakeTelegramProcess::of(e.fake.sent(), "sendMessage", kAdmin).empty());
  // With it: the reply goes out through the Bot API; Telegram resending the update runs nothing.
  const auto ok = e.daemon->post("/telegram/webhook", update.dump(), {{"X-Telegram-Bot-Api-Secret-Token", "wh-Secret_42"}});
  CHECK(ok.status == 200);
  CHECK(e.last_reply(kAdmin, 1).find("openai-main</b> active") != std::string::npos);
  CHECK(e.daemon->post("/telegram/webhook", update.dump(), {{"X-Telegram-Bot-Api-Secret-Token", "wh-Secret_42"}}).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(FakeTelegramProcess::of(e.fake.sent(), "sendMessage", kAdmin).size() == 1);
  CHECK(e.fake.state()["get_updates_calls"] == 0);
  const json status = json::parse(e.daemon->get("/api/v1/status").body);
  CHECK(status["telegram"]["detail"].get<std::string>().rfind("webhook as @", 0) == 0);
  CHECK(e.daemon->stderr_text().find("wh-Secret_42") == std::string::npos);
  CHECK(e.daemon->get("/api/v1/export").body.find("wh-Secret_42") == std::string::npos);
}

TEST_CASE("e2e: back to long polling, the bot deletes the webhook first") {
  Env e;
  e.start();
  e.fake.message(kAdmin, "/qg_help");
  REQUIRE(e.replies(kAdmin, 1).size() == 1);
  const auto deletes = FakeTelegramProcess::of(e.fake.sent(), "deleteWebhook");
  CHECK(deletes.size() == 1);
}
