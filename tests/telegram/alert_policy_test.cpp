// tests/telegram/alert_policy_test.cpp — events in, alerts out: dedup, re-arm, auth cooldowns,
// all-exhausted edge, throttle, state round trip.
#include "telegram/alert_policy.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::telegram;

namespace {
constexpr TimeMs kT = 1'764'430'000'000;
std::uint64_t g_seq = 0;
Event ev(const std::string& account, EventPayload p, TimeMs ts = kT) { return Event{++g_seq, ts, account, std::move(p)}; }
ThresholdCrossed crossed(const char* level, double pct, std::int64_t window_s = 3600) {
  return ThresholdCrossed{level, Metric::tokens, window_s, pct};
}
}  // namespace

TEST_CASE("a warning and a critical crossing alert once each - duplicates are dropped") {
  AlertState s;
  auto a = alerts_for_event(s, ev("acc1", crossed("warning", 86)));
  REQUIRE(a.size() == 1);
  CHECK(a[0].html.find("Warning") != std::string::npos);
  CHECK(a[0].html.find("acc1 tokens/1h at 86%") != std::string::npos);
  CHECK(alerts_for_event(s, ev("acc1", crossed("warning", 87))).empty());  // duplicate
  auto c = alerts_for_event(s, ev("acc1", crossed("critical", 96)));
  REQUIRE(c.size() == 1);
  CHECK(c[0].html.find("CRITICAL") != std::string::npos);
  CHECK(alerts_for_event(s, ev("acc1", crossed("critical", 97))).empty());
  CHECK(alerts_for_event(s, ev("acc1", crossed("warning", 88))).empty());  // below critical is not news
  CHECK(s.last_seq == g_seq);
  // Another account or window is another alert.
  CHECK(alerts_for_event(s, ev("acc2", crossed("warning", 86))).size() == 1);
  CHECK(alerts_for_event(s, ev("acc1", crossed("warning", 86, 60))).size() == 1);
}

TEST_CASE("recovered re-arms: a later crossing alerts again - recovery notes only alerted windows") {
  AlertState s;
  REQUIRE(alerts_for_event(s, ev("a", crossed("warning", 86))).size() == 1);
  auto r = alerts_for_event(s, ev("a", crossed("recovered", 40)));
  REQUIRE(r.size() == 1);
  CHECK(r[0].html.find("Recovered") != std::string::npos);
  CHECK(alerts_for_event(s, ev("a", crossed("warning", 86))).size() == 1);
  CHECK(alerts_for_event(s, ev("b", crossed("recovered", 10))).empty());
}

TEST_CASE("an entry expires after its window length - since the source re-arms silently on reset") {
  AlertState s;
  REQUIRE(alerts_for_event(s, ev("a", crossed("warning", 86, 60), kT)).size() == 1);
  CHECK(alerts_for_event(s, ev("a", crossed("warning", 86, 60), kT + 30'000)).empty());
  CHECK(alerts_for_event(s, ev("a", crossed("warning", 86, 60), kT + 61'000)).size() == 1);
}

TEST_CASE("auth cooldowns alert once with a re-login hint - and their end is a recovery") {
  AlertState s;
  auto a = alerts_for_event(s, ev("acc", CooldownStarted{kT + 6 * 3600'000, "auth", "401: re-login needed", 1}));
  REQUIRE(a.size() == 1);
  CHECK(a[0].html.find("Re-login needed") != std::string::npos);
  CHECK(a[0].html.find("401: re-login needed") != std::string::npos);
  CHECK(alerts_for_event(s, ev("acc", CooldownStarted{kT, "auth", "again", 1})).empty());
  CHECK(alerts_for_event(s, ev("other", CooldownStarted{kT, "rate_limited", "429", 0})).empty());
  auto back = alerts_for_event(s, ev("acc", CooldownEnded{"probe_ok"}));
  REQUIRE(back.size() == 1);
  CHECK(back[0].html.find("Account back") != std::string::npos);
  CHECK(alerts_for_event(s, ev("other", CooldownEnded{"expired"})).empty());
}

TEST_CASE("dynamic text in alerts is HTML-escaped") {
  AlertState s;
  auto a = alerts_for_event(s, ev("<evil&>", CooldownStarted{kT, "auth", "<script>", 1}));
  REQUIRE(a.size() == 1);
  CHECK(a[0].html.find("<evil") == std::string::npos);
  CHECK(a[0].html.find("&lt;evil&amp;&gt;") != std::string::npos);
  CHECK(a[0].html.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("all accounts exhausted alerts on the edge - and capacity back on the way out") {
  AlertState s;
  auto view = [](std::string id, std::string state) {
    AccountView a;
    a.id = std::move(id);
    a.state = std::move(state);
    return a;
  };
  const std::vector<AccountView> mixed{view("a", "exhausted"), view("b", "active")};
  const std::vector<AccountView> none{view("a", "exhausted"), view("b", "cooldown"), view("c", "disabled")};
  CHECK_FALSE(capacity_transition(s, mixed));
  auto down = capacity_transition(s, none);
  REQUIRE(down);
  CHECK(down->html.find("All accounts exhausted") != std::string::npos);
  CHECK_FALSE(capacity_transition(s, none));  // once
  auto up = capacity_transition(s, mixed);
  REQUIRE(up);
  CHECK(up->html.find("Capacity back") != std::string::npos);
  CHECK_FALSE(capacity_transition(s, {}));  // no accounts: no alarm
}

TEST_CASE("the throttle drops over-rate alerts and reports the count with the next one") {
  AlertThrottle t({2, 1.0 / 60}, kT);
  std::vector<Alert> burst;
  for (int i = 0; i < 5; ++i) burst.push_back(Alert{"alert " + std::to_string(i), "k"});
  auto sent = t.admit(burst, kT);
  CHECK(sent.size() == 2);
  CHECK(t.dropped_total() == 3);
  auto later = t.admit({Alert{"later", "k"}}, kT + 60'000);
  REQUIRE(later.size() == 1);
  CHECK(later[0].html.find("3 earlier alert(s) dropped") != std::string::npos);
}

TEST_CASE("alert state survives a JSON round trip - garbage is rejected") {
  AlertState s;
  alerts_for_event(s, ev("a", crossed("critical", 99)));
  alerts_for_event(s, ev("b", CooldownStarted{kT, "auth", "", 1}));
  s.all_exhausted = true;
  const auto back = alert_state_from_json_text(to_json_text(s));
  REQUIRE(back);
  CHECK(*back == s);
  CHECK_FALSE(alert_state_from_json_text("{"));
  CHECK_FALSE(alert_state_from_json_text("{\"alerted\":[]}"));
}


TEST_CASE("a pool forecast to run dry within the horizon alerts once, recovers past twice the horizon (issue 18)") {
  constexpr TimeMs kMin = 60'000;
  AlertState s;
  ForecastView f;
  f.at = kT;
  f.pools.push_back({"gpt-4o", {"gpt-4o", "gpt-4o-mini"}, {{"a", kT + 45 * kMin, 0}}, kT + 45 * kMin, kT + 120 * kMin});
  CHECK(forecast_transitions(s, f, 30 * kMin).empty());        // 45m away: beyond the horizon
  f.pools[0].dry_at = kT + 20 * kMin;
  auto a = forecast_transitions(s, f, 30 * kMin);
  REQUIRE(a.size() == 1);
  CHECK(a[0].key == "pool|gpt-4o|dry");
  CHECK(a[0].html.find("runs dry in 20m") != std::string::npos);
  CHECK(a[0].html.find("gpt-4o → gpt-4o-mini") != std::string::npos);
  CHECK(forecast_transitions(s, f, 30 * kMin).empty());        // deduplicated
  f.pools[0].dry_at = kT + 50 * kMin;                           // within 2 x horizon: still armed
  CHECK(forecast_transitions(s, f, 30 * kMin).empty());
  // the state survives a restart
  auto restored = alert_state_from_json_text(to_json_text(s));
  REQUIRE(restored);
  CHECK(restored->dry_pools == std::set<std::string>{"gpt-4o"});
  f.pools[0].dry_at = 0;                                        // no longer runs dry
  auto r = forecast_transitions(s, f, 30 * kMin);
  REQUIRE(r.size() == 1);
  CHECK(r[0].key == "pool|gpt-4o|recovered");
  CHECK(s.dry_pools.empty());
  f.pools[0].dry_at = kT + 10 * kMin;                           // dry again: a new alert
  CHECK(forecast_transitions(s, f, 30 * kMin).size() == 1);
}
