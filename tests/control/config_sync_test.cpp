// config.yaml -> events: accounts registered/updated/removed, settings precedence (INTERFACE §2).
#include "quota/config_sync.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
constexpr TimeMs kNow = 1'764'400'000'000;

Config config_with(std::vector<std::string> ids) {
  Config c;
  for (auto& id : ids) {
    AccountConfig a;
    a.id = id;
    a.provider = "openai";
    a.base_url = "http://127.0.0.1:1/v1";
    a.limits = {{Metric::requests, 60, 10}};
    c.accounts.push_back(a);
  }
  return c;
}

SystemState replay(SystemState s, const std::vector<Event>& events) {
  for (auto e : events) { e.seq = s.last_seq + 1; apply(s, e); }
  return s;
}
}  // namespace

TEST_CASE("config accounts are registered once, updated on change, removed when gone") {
  SystemState s;
  auto events = config_sync_events(config_with({"a", "b"}), s, kNow);
  REQUIRE(events.size() == 2);
  CHECK(event_type(events[0]) == "AccountRegistered");
  s = replay(s, events);
  CHECK(config_sync_events(config_with({"a", "b"}), s, kNow).empty());

  Config changed = config_with({"a"});
  changed.accounts[0].priority = 7;
  events = config_sync_events(changed, s, kNow);
  REQUIRE(events.size() == 2);
  CHECK(event_type(events[0]) == "AccountUpdated");
  CHECK(events[1].account == "b");
  CHECK(event_type(events[1]) == "AccountRemoved");
  s = replay(s, events);
  CHECK(s.accounts["b"].removed);
  CHECK(s.accounts["a"].spec.priority == 7);
}

TEST_CASE("a runtime setting survives restarts until the file's value changes") {
  SystemState s;
  Config c = config_with({});
  CHECK(config_sync_events(c, s, kNow).empty());  // defaults, nothing overridden

  // Operator sets the policy at runtime.
  s = replay(s, {Event{0, kNow, "", SettingChanged{"router.policy", "\"fill_first\"", "admin"}}});
  CHECK(config_sync_events(c, s, kNow).empty());  // restart with the same file: runtime wins
  RouterSettings eff = effective_settings(router_settings_from(c.router), s.router);
  CHECK(eff.policy == RoutePolicy::fill_first);

  // The file's value changes: the file wins from now on.
  c.router.policy = RoutePolicy::round_robin;
  auto events = config_sync_events(c, s, kNow + 1);
  REQUIRE(events.size() == 1);
  s = replay(s, events);
  eff = effective_settings(router_settings_from(c.router), s.router);
  CHECK(eff.policy == RoutePolicy::round_robin);
  CHECK(config_sync_events(c, s, kNow + 2).empty());
}

TEST_CASE("reservations whose TTL passed while down are expired") {
  SystemState s = replay({}, config_sync_events(config_with({"a"}), {}, kNow));
  s = replay(s, {Event{0, kNow, "a", ReservationCreated{"r1", "m", {1, 1, 1}, kNow + 1000}},
                 Event{0, kNow, "a", ReservationCreated{"r2", "m", {1, 1, 1}, kNow + 9000}}});
  auto events = expiry_events(s, kNow + 5000);
  REQUIRE(events.size() == 1);
  CHECK(std::get<ReservationExpired>(events[0].payload).id == "r1");
}
