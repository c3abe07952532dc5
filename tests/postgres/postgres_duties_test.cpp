// tests/postgres/postgres_duties_test.cpp — the singleton duties with real nodes: two `serve`
// processes on one PostgreSQL database and one qg-fake-telegram. Only the node holding the
// duties runs the bot (the fake sees one getMe and no 409 "terminated by other getUpdates
// request"), an alert is delivered once whichever node wrote the event, GET /api/v1/status
// lists both nodes and the holder; after kill -9 of the holder the other node takes the duties
// over within seconds (its session's advisory lock is freed when its connection closes),
// answers commands and delivers the next alert, once. `settoken` writes the shared settings
// table, where `check` (and every node's bot) finds the token.
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/telegram/fake_telegram_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

using nlohmann::json;
using qg::test::DaemonOptions;
using qg::test::DaemonProcess;
using qg::test::FakeTelegramProcess;

namespace {

constexpr std::int64_t kAdmin = 4242;
constexpr std::int64_t kAlertChat = -100500;

std::string node_config(const FakeTelegramProcess& fake, const std::string& node) {
  return "storage:\n  backend: postgres\n  postgres: {node_id: " + node + "}\n"
         "accounts:\n"
         "  - {id: openai-main, provider: openai, base_url: \"http://127.0.0.1:9/v1\", api_key: \"sk-duties-0001\",\n"
         "     limits: [{metric: requests, window: 1d, limit: 100}]}\n"
         "telegram:\n"
         "  enabled: true\n"
         "  token: \"" + qg::test::kFakeBotToken + "\"\n"
         "  api_base: \"" + fake.base_url() + "\"\n"
         "  admins: [" + std::to_string(kAdmin) + "]\n"
         "  alert_chat: " + std::to_string(kAlertChat) + "\n";
}

std::unique_ptr<DaemonProcess> start_node(const FakeTelegramProcess& fake, const std::string& dsn,
                                          const std::string& node) {
  auto d = std::make_unique<DaemonProcess>(
      DaemonOptions().config(node_config(fake, node)).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
  std::string why;
  REQUIRE_MESSAGE(d->start(&why), (why + d->stderr_text()));
  return d;
}

json cluster_of(const DaemonProcess& d) {
  const json s = json::parse(d.get("/api/v1/status").body, nullptr, false);
  return s.is_object() && s.contains("cluster") ? s["cluster"] : json();
}

// Waits (up to 20 s) until `pred` holds; false when it never did.
bool eventually(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

std::size_t alerts(FakeTelegramProcess& fake) {
  return FakeTelegramProcess::of(fake.sent(), "sendMessage", kAlertChat).size();
}

}  // namespace

TEST_CASE("duties on PostgreSQL: one node polls Telegram and alerts, kill -9 moves them to the other") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = pg.create_database();
  FakeTelegramProcess fake;
  auto a = start_node(fake, dsn, "node-a");
  auto b = start_node(fake, dsn, "node-b");

  // Status: both nodes live, node-a (first) holds the duties, as either node sees it.
  REQUIRE(eventually([&] {
    const json c = cluster_of(*b);
    return c.is_object() && c["nodes"].size() == 2 && c["nodes"][0]["live"] == true && c["nodes"][1]["live"] == true;
  }));
  json ca = cluster_of(*a), cb = cluster_of(*b);
  CHECK(ca["backend"] == "postgres");
  CHECK(ca["node"] == "node-a");
  CHECK(ca["duties"] == true);
  CHECK(cb["duties"] == false);
  CHECK(cb["nodes"][0]["node"] == "node-a");
  CHECK(cb["nodes"][0]["duties"] == true);
  CHECK(cb["nodes"][1]["duties"] == false);

  // One bot: one reply per command, one getMe, no poller ended by another.
  fake.message(kAdmin, "/qg_help");
  fake.wait_sent([](const json& s) { return !FakeTelegramProcess::of(s, "sendMessage", kAdmin).empty(); });
  // An event written by the node that does not alert is alerted once, by the one that does.
  CHECK(b->post("/ingest", json{{"account_id", "openai-main"}, {"provider", "openai"},
                                {"effective_remaining_percent", 12}}.dump()).status == 200);
  REQUIRE(eventually([&] { return alerts(fake) >= 1; }));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the alerter runs every 2 s
  CHECK(alerts(fake) == 1);
  CHECK(FakeTelegramProcess::of(fake.sent(), "sendMessage", kAdmin).size() == 1);
  json state = fake.state();
  CHECK(state["get_me_calls"] == 1);
  CHECK(state["conflicts"] == 0);
  const std::int64_t polls_before = state["get_updates_calls"].get<std::int64_t>();

  // kill -9 of the holder: node-b takes over, polls and alerts.
  const auto killed_at = std::chrono::steady_clock::now();
  a->kill_now();
  REQUIRE_MESSAGE(eventually([&] { return cluster_of(*b)["duties"] == true; }), b->stderr_text());
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  MESSAGE("duties moved " << took.count() << " ms after kill -9");
  REQUIRE(eventually([&] { return fake.state()["get_me_calls"] == 2; }));
  fake.message(kAdmin, "/qg_help");
  fake.wait_sent([](const json& s) { return FakeTelegramProcess::of(s, "sendMessage", kAdmin).size() >= 2; });
  CHECK(FakeTelegramProcess::of(fake.sent(), "sendMessage", kAdmin).size() == 2);
  CHECK(fake.state()["get_updates_calls"].get<std::int64_t>() > polls_before);
  // The killed node's long poll may be ended by the new poller once (Telegram would do the
  // same); from then on, no conflicts.
  const std::int64_t conflicts = fake.state()["conflicts"].get<std::int64_t>();
  CHECK(conflicts <= 1);

  // The next alert comes from node-b, once: the shared cursor does not re-alert the first.
  CHECK(b->post("/ingest", json{{"account_id", "openai-main"}, {"provider", "openai"},
                                {"effective_remaining_percent", 3}}.dump()).status == 200);
  REQUIRE(eventually([&] { return alerts(fake) >= 2; }));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(alerts(fake) == 2);
  CHECK(fake.state()["conflicts"] == conflicts);
  const json c = cluster_of(*b);
  CHECK(c["nodes"][0]["node"] == "node-b");
  CHECK(c["nodes"][0]["duties"] == true);
  CHECK(b->stderr_text().find("leadership: node node-b holds the singleton duties") != std::string::npos);
  CHECK(b->stop() == 0);
}

TEST_CASE("settoken on PostgreSQL stores the token for every node, and check finds it there") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = pg.create_database();
  FakeTelegramProcess fake;
  qg::test::TempDir dir("qg-pg-settoken");
  const std::string config = dir.file("config.yaml");
  {
    std::string yaml = node_config(fake, "node-a");
    yaml.replace(yaml.find("  token: \""), std::string("  token: \"" + qg::test::kFakeBotToken + "\"\n").size(), "");
    std::FILE* f = std::fopen(config.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(yaml.c_str(), f);
    std::fclose(f);
  }
  const auto env = qg::test::RunOptions().set_env("QUOTAGUARD_POSTGRES_DSN", dsn);
  auto before = qg::test::run_quotaguard({"check", "--config", config}, env);
  CHECK(before.out.find("no bot token is set") != std::string::npos);
  auto stored = qg::test::run_quotaguard({"settoken", qg::test::kFakeBotToken, "--config", config}, env);
  CHECK_MESSAGE(stored.exit_code == 0, stored.err);
  CHECK(stored.out.find("stored in storage.postgres: postgresql://qg_test@127.0.0.1:") != std::string::npos);
  CHECK(stored.out.find("(shared by every node)") != std::string::npos);
  CHECK(stored.out.find(pg.password()) == std::string::npos);
  auto after = qg::test::run_quotaguard({"check", "--config", config}, env);
  CHECK_MESSAGE(after.out.find("@qg_test_bot") != std::string::npos, after.out);
  CHECK(after.out.find(qg::test::kFakeBotToken) == std::string::npos);
}

TEST_CASE("webhook mode on PostgreSQL: a node without the duties answers 503 with Retry-After, so Telegram retries") {
  auto& pg = qg::test::shared_postgres();
  const std::string dsn = pg.create_database();
  FakeTelegramProcess fake;
  const std::string webhook = "  webhook_url: \"https://qg.example/telegram/webhook\"\n  webhook_secret: \"s3cret-hook\"\n";
  auto start = [&](const std::string& node) {
    auto d = std::make_unique<DaemonProcess>(
        DaemonOptions().config(node_config(fake, node) + webhook).set_env("QUOTAGUARD_POSTGRES_DSN", dsn));
    std::string why;
    REQUIRE_MESSAGE(d->start(&why), (why + d->stderr_text()));
    return d;
  };
  auto a = start("hook-a");
  auto b = start("hook-b");
  const std::string update = R"({"update_id":77,"message":{"message_id":1,"date":1,"chat":{"id":4242,"type":"private"},)"
                             R"("from":{"id":4242,"is_bot":false,"first_name":"A"},"text":"/qg_help"}})";
  const qg::test::Headers secret{{"X-Telegram-Bot-Api-Secret-Token", "s3cret-hook"}};
  const auto standby = b->post("/telegram/webhook", update, secret);
  CHECK(standby.status == 503);
  CHECK(standby.header("Retry-After") == "1");
  CHECK(standby.body.find("singleton duties") != std::string::npos);
  REQUIRE(eventually([&] { return a->post("/telegram/webhook", update, secret).status == 200; }));
  fake.wait_sent([](const json& s) { return !FakeTelegramProcess::of(s, "sendMessage", kAdmin).empty(); });
  CHECK(FakeTelegramProcess::of(fake.sent(), "sendMessage", kAdmin).size() == 1);
}
