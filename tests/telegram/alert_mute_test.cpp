// tests/telegram/alert_mute_test.cpp — /qg_mute and /qg_unmute: durations, the alert filter
// (count while muted, one "resumed" note after it expires), persistence through a BotStore,
// unreadable saved state, and the commands' replies.
#include "telegram/alert_mute.hpp"
#include "telegram/bot_commands.hpp"
#include "telegram/bot_settings.hpp"
#include "tests/telegram/test_operations.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace qg;
using namespace qg::telegram;

namespace {

constexpr TimeMs kNow = 1'764'430'000'000;
constexpr TimeMs kHour = 3'600'000;

class MemoryStore : public BotStore {
 public:
  std::optional<std::string> get(std::string_view key) override {
    auto it = values.find(std::string(key));
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void set(std::string_view key, std::string_view value) override { values[std::string(key)] = value; }
  std::map<std::string, std::string> values;
};

std::vector<Alert> alerts(std::initializer_list<const char*> keys) {
  std::vector<Alert> out;
  for (const char* k : keys) out.push_back(Alert{std::string("alert ") + k, k});
  return out;
}

}  // namespace

TEST_CASE("mute durations: 1m to 7d in config duration syntax") {
  CHECK(parse_mute_duration("30m") == 30 * 60'000);
  CHECK(parse_mute_duration("2h") == 2 * kHour);
  CHECK(parse_mute_duration("1h30m") == 90 * 60'000);
  CHECK(parse_mute_duration("7d") == 7 * 24 * kHour);
  CHECK_FALSE(parse_mute_duration("30s"));
  CHECK_FALSE(parse_mute_duration("8d"));
  CHECK_FALSE(parse_mute_duration("soon"));
  CHECK_FALSE(parse_mute_duration(""));
  CHECK_FALSE(parse_mute_duration("-1h"));
}

TEST_CASE("while muted alerts are counted, not sent - after expiry one note leads the next pass") {
  AlertMute mute(nullptr);
  CHECK(mute.filter(alerts({"a"}), kNow).size() == 1);  // not muted: passes through
  mute.mute(kNow + kHour, "deploy", "telegram:1");
  CHECK(mute.active(kNow));
  CHECK(mute.filter(alerts({"a|requests|60|warning", "b"}), kNow + 1).empty());
  CHECK(mute.filter({}, kNow + 2).empty());
  CHECK(mute.state().suppressed == 2);
  const auto after = mute.filter(alerts({"c"}), kNow + kHour);
  REQUIRE(after.size() == 2);
  CHECK(after[0].key == "mute-ended");
  CHECK(after[0].html.find("2 alert(s) were muted") != std::string::npos);
  CHECK(after[0].html.find("<code>a|requests|60|warning</code>") != std::string::npos);
  CHECK(after[1].key == "c");
  CHECK_FALSE(mute.active(kNow + kHour));
  CHECK(mute.filter(alerts({"d"}), kNow + kHour + 1).size() == 1);  // the note came once
}

TEST_CASE("a mute that held nothing expires silently - unmute returns what it held") {
  AlertMute mute(nullptr);
  mute.mute(kNow + kHour, "", "telegram:1");
  CHECK(mute.filter({}, kNow + 2 * kHour).empty());
  mute.mute(kNow + kHour, "x", "telegram:1");
  mute.filter(alerts({"k1", "k2", "k3"}), kNow);
  const MuteState was = mute.unmute();
  CHECK(was.suppressed == 3);
  CHECK(muted_summary(was).find("3 alert(s) were muted") != std::string::npos);
  CHECK_FALSE(mute.active(kNow));
  CHECK(mute.filter(alerts({"k4"}), kNow).size() == 1);
}

TEST_CASE("the mute survives a restart through the store - unreadable saved state means not muted") {
  MemoryStore store;
  {
    AlertMute mute(&store);
    mute.mute(kNow + kHour, "maintenance <window>", "telegram:7");
    mute.filter(alerts({"a"}), kNow);
  }
  AlertMute again(&store);
  CHECK(again.active(kNow + 1));
  CHECK(again.state().reason == "maintenance <window>");
  CHECK(again.state().suppressed == 1);
  for (const char* bad : {"", "{", "[]", R"({"until":"soon"})", R"({"until":-5})", R"({"until":1,"suppressed":-1})"}) {
    store.values[AlertMute::kStoreKey] = bad;
    AlertMute broken(&store);
    CHECK_MESSAGE(!broken.active(kNow), bad);
  }
}

TEST_CASE("/qg_mute and /qg_unmute: set, show, status line, usage, and no alerts to mute") {
  test::TestOperations ops;
  ops.add_account("openai-main", 100);
  TimeMs now = kNow;
  AlertMute mute(nullptr);
  BotCommands commands{ops, CommandsOptions{{42}, {100, 100}, 600'000, 60'000, 50}, [&] { return now; }, &mute};
  auto say = [&](const std::string& text) {
    auto r = commands.handle(ChatMessage{1, 42, 42, "", text});
    return r ? r->html : "<no reply>";
  };
  CHECK(say("/qg_mute").find("Alerts are on") != std::string::npos);
  const std::string set = say("/qg_mute 2h deploy <canary>");
  CHECK(set.find("✅ Alerts muted until") != std::string::npos);
  CHECK(set.find("(in 2h)") != std::string::npos);
  CHECK(set.find("deploy &lt;canary&gt;") != std::string::npos);
  CHECK(set.find("telegram:42") != std::string::npos);
  CHECK(mute.state().until == now + 2 * kHour);
  CHECK(say("/qg_mute").find("🔕 Alerts muted until") != std::string::npos);
  CHECK(say("/qg_status").find("🔕 Alerts muted until") != std::string::npos);
  CHECK(say("/qg_mute soon").find("Usage") != std::string::npos);
  CHECK(say("/qg_mute 10d").find("Usage") != std::string::npos);
  CHECK(mute.state().until == now + 2 * kHour);  // bad input changed nothing
  mute.filter(alerts({"x"}), now);
  CHECK(say("/qg_unmute now").find("Usage") != std::string::npos);
  CHECK(say("/qg_unmute").find("1 alert(s) were muted") != std::string::npos);
  CHECK(say("/qg_unmute").find("were not muted") != std::string::npos);
  CHECK(say("/qg_status").find("muted") == std::string::npos);
  CHECK(say("/qg_help").find("/qg_mute") != std::string::npos);
  CHECK(command_menu().dump().find("qg_unmute") != std::string::npos);

  BotCommands no_alerts{ops, CommandsOptions{{42}, {100, 100}, 600'000, 60'000, 50}, [&] { return now; }};
  auto r = no_alerts.handle(ChatMessage{1, 42, 42, "", "/qg_mute 1h"});
  REQUIRE(r);
  CHECK(r->html.find("not running here") != std::string::npos);
}
