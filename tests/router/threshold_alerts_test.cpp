// Threshold crossings: once upward per level, "recovered" below warning - hysteresis.
#include "quota/threshold_alerts.hpp"
#include "router_world.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::test;

namespace {
// Applies the crossings `s` calls for (as the account actor would) and returns their levels.
std::vector<std::string> step(AccountState& s, std::int64_t used, TimeMs t) {
  apply(s, Event{0, t, "a", QuotaObserved{QuotaSource::poll, {ObservedWindow{Metric::requests, 86'400, 100, used, kT0 + kDayMs}}}});
  std::vector<std::string> levels;
  for (const auto& c : threshold_crossings(s, RouteThresholds{}, 5)) {
    levels.push_back(c.level);
    apply(s, Event{0, t, "a", c});
  }
  return levels;
}
using L = std::vector<std::string>;
}  // namespace

TEST_CASE("threshold crossings: warning and critical once each, recovered re-arms") {
  AccountState s;
  s.id = "a";
  TimeMs t = kT0;
  CHECK(step(s, 50, t++) == L{});
  CHECK(step(s, 86, t++) == L{"warning"});
  CHECK(step(s, 88, t++) == L{});
  CHECK(step(s, 84, t++) == L{});          // inside the hysteresis band: still armed down
  CHECK(step(s, 87, t++) == L{});
  CHECK(step(s, 96, t++) == L{"critical"});
  CHECK(step(s, 93, t++) == L{});
  CHECK(step(s, 97, t++) == L{});          // no second critical alert for a dip and rise
  CHECK(step(s, 79, t++) == L{"recovered"});
  CHECK(step(s, 99, t++) == L{"critical"});  // straight past both: one alert at the top level
  const auto c = threshold_crossings(s, RouteThresholds{}, 5);
  CHECK(c.empty());
}

TEST_CASE("threshold crossings: windows without a limit never alert") {
  AccountState s;
  s.id = "a";
  apply(s, Event{0, kT0, "a", QuotaObserved{QuotaSource::poll, {ObservedWindow{Metric::tokens, 60, 0, 5000, 0}}}});
  CHECK(threshold_crossings(s, RouteThresholds{}, 5).empty());
}

TEST_CASE("threshold crossings: a config and an observed window with the same key alert once, by the fuller one") {
  AccountState s;
  AccountSpec spec;
  spec.limits = {LimitSpec{Metric::requests, 86'400, 1000}};  // config window: nearly empty
  apply(s, Event{0, kT0, "a", AccountRegistered{spec}});
  std::vector<std::string> levels;
  for (int round = 0; round < 3; ++round) {
    apply(s, Event{0, kT0 + round, "a", QuotaObserved{QuotaSource::headers,
          {ObservedWindow{Metric::requests, 86'400, 100, 90, kT0 + kDayMs}}}});
    for (const auto& c : threshold_crossings(s, RouteThresholds{}, 5)) {
      levels.push_back(c.level);
      apply(s, Event{0, kT0 + round, "a", c});
    }
  }
  CHECK(levels == std::vector<std::string>{"warning"});  // no warning/recovered ping-pong
}
