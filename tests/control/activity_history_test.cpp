// tests/control/activity_history_test.cpp — the dashboard's read model of the event log:
// usage buckets (alignment, merging, horizon), the three feeds (order, caps, contents) and
// that no setting value reaches a feed.
#include "actors/control/activity_history.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {

constexpr TimeMs kMin = 60'000;
constexpr TimeMs kHour = 60 * kMin;
constexpr TimeMs kT0 = 1'780'000'000'000 / kHour * kHour;  // an hour boundary in 2026

struct Log {
  ActivityHistory h;
  std::uint64_t seq = 0;
  void add(TimeMs ts, const std::string& account, EventPayload p) {
    h.apply(Event{++seq, ts, account, std::move(p)});
  }
};

}  // namespace

TEST_CASE("committed usage lands in the bucket of its time, and views merge 5-minute buckets") {
  Log log;
  log.add(kT0 + 1 * kMin, "a", ReservationCommitted{"r1", Usage{1, 100, 10}, false});
  log.add(kT0 + 7 * kMin, "a", ReservationCommitted{"r2", Usage{2, 200, 20}, false});
  log.add(kT0 + 16 * kMin, "a", ReservationCommitted{"r3", Usage{1, 1, 1}, true});
  log.add(kT0 + 16 * kMin, "b", ReservationReleased{"r4", "upstream_error"});
  log.add(kT0 + 17 * kMin, "b", ReservationExpired{"r5"});
  const TimeMs now = kT0 + 20 * kMin;

  const auto five = log.h.view(now, kHour, 5 * kMin);
  CHECK(five.bucket_ms == 5 * kMin);
  CHECK(five.to == kT0 + 25 * kMin);  // end of the bucket holding now ([20, 25) min)
  CHECK(five.from == kT0 - 35 * kMin);
  REQUIRE(five.accounts.at("a").size() == 3);
  CHECK(five.accounts.at("a")[0] == ActivityBucket{kT0, 1, 100, 10, 0});
  CHECK(five.accounts.at("a")[1] == ActivityBucket{kT0 + 5 * kMin, 2, 200, 20, 0});
  CHECK(five.accounts.at("b") == std::vector<ActivityBucket>{{kT0 + 15 * kMin, 0, 0, 0, 2}});

  const auto quarter = log.h.view(now, kHour, 15 * kMin);
  REQUIRE(quarter.accounts.at("a").size() == 2);
  CHECK(quarter.accounts.at("a")[0] == ActivityBucket{kT0, 3, 300, 30, 0});
  CHECK(quarter.accounts.at("a")[1] == ActivityBucket{kT0 + 15 * kMin, 1, 1, 1, 0});

  const auto hour = log.h.view(now, 24 * kHour, kHour);
  CHECK(hour.to == kT0 + kHour);
  CHECK(hour.from == kT0 - 23 * kHour);
  CHECK(hour.accounts.at("a") == std::vector<ActivityBucket>{{kT0, 4, 301, 31, 0}});
}

TEST_CASE("a view shows only its span, and prune forgets what no view can show") {
  Log log;
  log.add(kT0, "a", ReservationCommitted{"old", Usage{5, 0, 0}, false});
  log.add(kT0 + 23 * kHour, "a", ReservationCommitted{"new", Usage{1, 0, 0}, false});
  const TimeMs now = kT0 + 23 * kHour + 30 * kMin;
  CHECK(log.h.view(now, 2 * kHour, kHour).accounts.at("a").size() == 1);
  CHECK(log.h.view(now, 24 * kHour, kHour).accounts.at("a").size() == 2);

  log.h.prune(now + 2 * kHour);  // "old" is now more than 25 h back
  const auto v = log.h.view(now + 2 * kHour, 24 * kHour, kHour);
  CHECK(v.accounts.at("a") == std::vector<ActivityBucket>{{kT0 + 23 * kHour, 1, 0, 0, 0}});
  log.h.prune(now + 48 * kHour);
  CHECK(log.h.view(now + 48 * kHour, 24 * kHour, kHour).accounts.empty());
}

TEST_CASE("spans and buckets out of range are clamped") {
  Log log;
  const auto v = log.h.view(kT0, 100 * kHour, 7 * kMin);
  CHECK(v.bucket_ms == 5 * kMin);
  CHECK(v.to - v.from == 24 * kHour);
  CHECK(log.h.view(kT0, 0, 10 * kHour).bucket_ms == kHour);
}

TEST_CASE("feeds: decisions, switches and alerts, newest first, capped") {
  Log log;
  log.add(kT0, "a", ReservationCreated{"r1", "gpt-4o", Usage{1, 1, 1}, kT0 + kMin});
  log.add(kT0 + 1, "", RouteSwitched{"gpt-4o|fp123", "a", "b", "cooldown", {}});
  log.add(kT0 + 2, "", RouteSwitched{"gpt-4o-mini", "", "a", "initial", {}});
  log.add(kT0 + 3, "a", ThresholdCrossed{"critical", Metric::requests, 60, 96.25});
  log.add(kT0 + 4, "a", CooldownStarted{kT0 + kMin, "rate_limited", "429 Retry-After 30s", 1});
  log.add(kT0 + 5, "a", CooldownEnded{"operator"});
  log.add(kT0 + 6, "b", AccountDrained{"admin"});
  log.add(kT0 + 7, "b", AccountResumed{"telegram:42"});
  log.add(kT0 + 8, "", SettingChanged{"router.policy", R"("fill_first")", "admin"});
  const auto v = log.h.view(kT0 + 10, kHour, kHour);

  REQUIRE(v.decisions.size() == 1);
  CHECK(v.decisions[0].account == "a");
  CHECK(v.decisions[0].model == "gpt-4o");
  CHECK(v.decisions[0].type == "ReservationCreated");

  REQUIRE(v.switches.size() == 2);
  CHECK(v.switches[0].model == "gpt-4o-mini");
  CHECK(v.switches[0].detail == "gpt-4o-mini: (none) -> a");
  CHECK(v.switches[1].model == "gpt-4o");  // the client fingerprint is not shown
  CHECK(v.switches[1].from == "a");
  CHECK(v.switches[1].to == "b");
  CHECK(v.switches[1].reason == "cooldown");

  REQUIRE(v.alerts.size() == 6);
  CHECK(v.alerts[0].type == "SettingChanged");
  CHECK(v.alerts[0].detail == "router.policy changed by admin");  // key and source, no value
  CHECK(v.alerts[1].detail == "resumed by telegram:42");
  CHECK(v.alerts[2].detail == "drained by admin");
  CHECK(v.alerts[3].reason == "operator");
  CHECK(v.alerts[4].reason == "rate_limited");
  CHECK(v.alerts[4].detail == "429 Retry-After 30s");
  CHECK(v.alerts[5].reason == "critical");
  CHECK(v.alerts[5].detail == "requests/1m at 96.2% used");
  CHECK(v.alerts[5].seq == 4);

  Log many;
  for (int i = 0; i < 120; ++i)
    many.add(kT0 + i, "a", ReservationCreated{"r" + std::to_string(i), "m", Usage{}, 0});
  CHECK(many.h.view(kT0 + 200, kHour, kHour).decisions.size() == 20);
  const auto all = many.h.view(kT0 + 200, kHour, kHour, 1000);
  REQUIRE(all.decisions.size() == ActivityHistory::kFeedLength);
  CHECK(all.decisions.front().seq == 120);
  CHECK(all.decisions.back().seq == 120 - ActivityHistory::kFeedLength + 1);
  CHECK(many.h.last_seq() == 120);
  many.h.prune(kT0 + 24 * kHour + 100);  // entries older than 24 h leave the feeds
  const auto left = many.h.view(kT0 + 24 * kHour + 100, kHour, kHour, 1000).decisions;
  REQUIRE(left.size() == 20);  // ts kT0 + 100 .. kT0 + 119
  CHECK(left.back().ts == kT0 + 100);
}
