// tests/telegram/telegram_text_test.cpp — pure parts of the bot: escaping, splitting, update
// and command parsing, token shape and precedence, rate limit, admin gate, backoff, webhook reply.
#include "telegram/admin_gate.hpp"
#include "telegram/backoff.hpp"
#include "telegram/bot_command.hpp"
#include "telegram/bot_token.hpp"
#include "telegram/chat_text.hpp"
#include "telegram/telegram_update.hpp"
#include "telegram/token_bucket.hpp"
#include "telegram/webhook_reply.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::telegram;

TEST_CASE("html_escape escapes the characters HTML parse mode reserves") {
  CHECK(html_escape("a<b>&\"c\"") == "a&lt;b&gt;&amp;&quot;c&quot;");
  CHECK(html_escape("plain ✓") == "plain ✓");
}

TEST_CASE("split_message keeps short text whole and splits long text on line boundaries") {
  CHECK(split_message("").empty());
  CHECK(split_message("hello") == std::vector<std::string>{"hello"});
  std::string text;
  for (int i = 0; i < 500; ++i) text += (i ? "\n" : "") + ("line " + std::to_string(i) + " <b>x</b>");
  const auto parts = split_message(text, 4096);
  REQUIRE(parts.size() > 1);
  std::string joined;
  for (const auto& p : parts) {
    CHECK(p.size() <= 4096);
    CHECK(p.back() != '\n');
    CHECK(p.find("<b>x</b>") != std::string::npos);
    joined += (joined.empty() ? "" : "\n") + p;
  }
  CHECK(joined == text);  // nothing lost, only the newline at each split point dropped
}

TEST_CASE("split_message cuts an over-long line at a UTF-8 boundary outside an entity") {
  std::string line;
  for (int i = 0; i < 3000; ++i) line += "é&amp;";  // 2-byte char + entity, no newline
  const auto parts = split_message(line, 4096);
  REQUIRE(parts.size() >= 2);
  std::string joined;
  for (const auto& p : parts) {
    CHECK(p.size() <= 4096);
    CHECK((static_cast<unsigned char>(p.front()) & 0xC0) != 0x80);  // not a continuation byte
    const auto amp = p.rfind('&');
    CHECK((amp == std::string::npos || p.find(';', amp) != std::string::npos));
    joined += p;
  }
  CHECK(joined == line);
}

TEST_CASE("truncate_message marks the cut") {
  const std::string t = truncate_message(std::string(5000, 'a'), 100);
  CHECK(t.size() <= 100);
  CHECK(t.find("…") != std::string::npos);
  CHECK(truncate_message("short", 100) == "short");
}

TEST_CASE("parse_update reads text messages and rejects malformed updates naming the field") {
  const auto ok = parse_update_text(
      R"({"update_id":7,"message":{"message_id":3,"from":{"id":42,"username":"op"},"chat":{"id":-100},"text":"/qg_status"}})");
  REQUIRE(ok.update);
  CHECK(ok.update->update_id == 7);
  REQUIRE(ok.update->message);
  CHECK(ok.update->message->user_id == 42);
  CHECK(ok.update->message->chat_id == -100);
  CHECK(ok.update->message->text == "/qg_status");
  CHECK(ok.update->message->username == "op");

  const auto other = parse_update_text(R"({"update_id":8,"edited_message":{}})");
  REQUIRE(other.update);
  CHECK_FALSE(other.update->message);

  CHECK(parse_update_text("not json").error == "update: body is not valid JSON");
  CHECK(parse_update_text("[1]").error == "update: must be a JSON object");
  CHECK(parse_update_text(R"({"message":{}})").error.find("update.update_id") == 0);
  CHECK(parse_update_text(R"({"update_id":"7"})").error.find("update.update_id") == 0);
  CHECK(parse_update_text(R"({"update_id":1,"message":"hi"})").error == "update.message: must be an object");
  CHECK(parse_update_text(R"({"update_id":1,"message":{"text":"x"}})").error.find("update.message.chat.id") == 0);
  CHECK(parse_update_text(R"({"update_id":1,"message":{"chat":{"id":1},"from":{"id":"x"}}})").error.find("update.message.from.id") == 0);
  CHECK(parse_update_text(R"({"update_id":1,"message":{"chat":{"id":1},"text":5}})").error == "update.message.text: must be a string");
}

TEST_CASE("parse_command accepts our commands - with @bot suffix - and ignores everything else") {
  auto c = parse_command("/qg_status", "qg_test_bot");
  REQUIRE(c);
  CHECK(c->name == "qg_status");
  CHECK(c->argv.empty());

  c = parse_command("  /QG_Thresholds@QG_Test_Bot  80 90   95 ", "qg_test_bot");
  REQUIRE(c);
  CHECK(c->name == "qg_thresholds");
  CHECK(c->args == "80 90   95");
  CHECK(c->argv == std::vector<std::string>{"80", "90", "95"});

  c = parse_command("/qg_fallback {\"a\": [\"b\"]}", "");
  REQUIRE(c);
  CHECK(c->args == "{\"a\": [\"b\"]}");

  CHECK(parse_command("/settoken 1:abc", "bot")->name == "settoken");
  CHECK(parse_command("/qg_status@OtherBot", "qg_test_bot") == std::nullopt);  // for another bot
  CHECK(parse_command("/qg_status@AnyBot", "")->name == "qg_status");         // webhook: any suffix
  CHECK(parse_command("/start", "bot") == std::nullopt);
  CHECK(parse_command("/qg_", "bot") == std::nullopt);
  CHECK(parse_command("hello /qg_status", "bot") == std::nullopt);
  CHECK(parse_command("", "bot") == std::nullopt);
  CHECK(parse_command("/qg_st-atus", "bot") == std::nullopt);
}

TEST_CASE("bot tokens: shape check and source precedence") {
  const std::string good = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  CHECK(looks_like_bot_token(good));
  CHECK_FALSE(looks_like_bot_token("123456789:short"));
  CHECK_FALSE(looks_like_bot_token(":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
  CHECK_FALSE(looks_like_bot_token("12a:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
  CHECK_FALSE(looks_like_bot_token("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PAL Dsaw"));

  const std::string stored_tok = "222:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  StoredToken st{stored_tok, token_fingerprint("")};
  CHECK(std::string(choose_token("", std::nullopt, "").source) == "none");
  CHECK(choose_token("env", st, "cfg").token == "env");
  CHECK(choose_token("", st, "").token == stored_tok);                 // runtime over empty config
  CHECK(choose_token("", std::nullopt, "cfg").token == "cfg");
  // Stored while the config said "cfg": stays in force until the file's value changes.
  StoredToken over_cfg{stored_tok, token_fingerprint("cfg")};
  CHECK(choose_token("", over_cfg, "cfg").token == stored_tok);
  CHECK(choose_token("", over_cfg, "cfg2").token == "cfg2");
  CHECK(token_fingerprint("cfg").find("cfg") == std::string::npos);
}

TEST_CASE("token bucket: burst - then refill with injected time") {
  TokenBucket b({3, 1.0}, 0);
  CHECK(b.try_take(0));
  CHECK(b.try_take(0));
  CHECK(b.try_take(0));
  CHECK_FALSE(b.try_take(0));
  CHECK(b.wait_ms(0) == 1000);
  CHECK_FALSE(b.try_take(999));
  CHECK(b.try_take(1000));
  CHECK(b.try_take(10'000));
  KeyedRateLimiter per_chat({1, 0.5});
  CHECK(per_chat.try_take(1, 0));
  CHECK_FALSE(per_chat.try_take(1, 100));
  CHECK(per_chat.try_take(2, 100));  // other chats are independent
  CHECK(per_chat.try_take(1, 2100));
}

TEST_CASE("admin gate: admins obeyed - strangers refused once per quiet period") {
  AdminGate gate({42, 43}, 60'000);
  CHECK(gate.is_admin(42));
  CHECK_FALSE(gate.is_admin(7));
  CHECK(gate.should_refuse(7, 0));
  CHECK_FALSE(gate.should_refuse(7, 1000));
  CHECK_FALSE(gate.should_refuse(7, 59'999));
  CHECK(gate.should_refuse(8, 1000));
  CHECK(gate.should_refuse(7, 60'000));
  AdminGate nobody({}, 60'000);
  CHECK_FALSE(nobody.is_admin(0));
}

TEST_CASE("backoff grows exponentially - is capped and jittered within [cap/2 - cap]") {
  CHECK(backoff_delay(0, 0.0) == 500);
  CHECK(backoff_delay(0, 1.0) == 1000);
  CHECK(backoff_delay(3, 0.0) == 4000);
  CHECK(backoff_delay(3, 1.0) == 8000);
  CHECK(backoff_delay(20, 1.0) == 60'000);
  CHECK(backoff_delay(20, 0.5) >= 30'000);
}

TEST_CASE("webhook_reply: sendMessage method call - cut to one message - {} for no reply") {
  CHECK(webhook_reply(std::nullopt) == nlohmann::json::object());
  Reply r{42, "<b>hi</b>", std::nullopt, 0};
  const auto j = webhook_reply(r);
  CHECK(j["method"] == "sendMessage");
  CHECK(j["chat_id"] == 42);
  CHECK(j["text"] == "<b>hi</b>");
  CHECK(j["parse_mode"] == "HTML");
  Reply long_reply{1, std::string(10'000, 'x'), std::nullopt, 0};
  CHECK(webhook_reply(long_reply)["text"].get<std::string>().size() <= 4096);
  Reply doc{1, "", Document{"x.yaml", std::string(9000, 'k') + "<&>", "Config"}, 0};
  const std::string text = webhook_reply(doc)["text"];
  CHECK(text.size() <= 4096);
  CHECK(text.find("<pre>") != std::string::npos);
  CHECK(text.find("</pre>") != std::string::npos);
}

#include "messages/event_codec.hpp"
#include "telegram/chat_format.hpp"

TEST_CASE("format_status renders status and account views: states - windows - reserved - cooldown - sticky") {
  using nlohmann::json;
  const TimeMs now = 1'764'430'000'000;  // 2025-11-29T15:26:40Z
  StatusView status;
  status.version = "0.1.0";
  status.uptime_s = 90061;
  status.journal_seq = 42;
  status.open_reservations = 1;
  status.sticky_routes = {{"gpt-4o", "acc-a"}};
  status.components = {{"collector", {true, false, "poll <failed>", 0}}, {"telegram", {true, true, "polling", 0}}};
  std::vector<AccountView> accounts(2);
  accounts[0].id = "acc-a";
  accounts[0].provider = "openai";
  accounts[0].state = "active";
  accounts[0].in_flight = 1;
  accounts[0].windows.push_back(WindowView{Metric::tokens, 60, 1000, 500, 250, *parse_iso8601("2025-11-29T15:27:00Z"),
                                           QuotaSource::headers, std::nullopt});
  accounts[1].id = "acc-b";
  accounts[1].provider = "anthropic";
  accounts[1].state = "cooldown";
  accounts[1].cooldown_until = now + 3 * 3600'000;
  accounts[1].cooldown_reason = "auth";
  accounts[1].cooldown_detail = "401";
  const std::string s = format_status(status, accounts, now);
  CHECK(s.find("uptime 1d1h · journal seq 42 · open reservations 1 · ready") != std::string::npos);
  CHECK(s.find("🟢 <b>acc-a</b> active · openai · in-flight 1") != std::string::npos);
  CHECK(s.find("tokens/1m 75% (headers) · reserved 250 · reset 15:27 UTC (in 20s)") != std::string::npos);
  CHECK(s.find("🟠 <b>acc-b</b> cooldown") != std::string::npos);
  CHECK(s.find("cooldown until 18:26 UTC (in 3h) — auth: 401") != std::string::npos);
  CHECK(s.find("gpt-4o → acc-a") != std::string::npos);
  CHECK(s.find("⚠️ collector: poll &lt;failed&gt;") != std::string::npos);
  CHECK(s.find("telegram ok") != std::string::npos);
  RouterSettings thresholds;
  thresholds.thresholds = {80.0, 90.5, 95};
  CHECK(format_setting(SettingView{operator_setting("thresholds"), thresholds}) ==
        "<b>Thresholds</b> (percent used)\nwarning 80 · switch 90.5 · critical 95");
  CHECK(compact_duration(0) == "0s");
  CHECK(compact_duration(61'000) == "1m1s");
  CHECK(compact_duration(3 * 86400'000LL + 7200'000) == "3d2h");
}
