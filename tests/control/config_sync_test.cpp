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

namespace {
// The events as the log hands them back: `node` stamped on each row (a shared log).
SystemState replay_as(SystemState s, std::vector<Event> events, const std::string& node) {
  for (auto& e : events) e.node = node;
  return replay(std::move(s), events);
}
}  // namespace

TEST_CASE("the registering node is the account's state: from the AccountRegistered's node stamp, kept by updates") {
  SystemState s = replay_as({}, config_sync_events(config_with({"a"}), {}, kNow, "n1"), "n1");
  CHECK(s.accounts["a"].registered_by == "n1");
  Config changed = config_with({"a"});
  changed.accounts[0].priority = 3;
  s = replay_as(s, {Event{0, kNow, "a", AccountUpdated{spec_from_config(changed.accounts[0])}}}, "admin-node");
  CHECK(s.accounts["a"].registered_by == "n1");  // an update (an operator's, another node's) keeps it
  s = replay_as(s, {Event{0, kNow, "a", AccountRemoved{"by hand"}}}, "n2");
  s = replay_as(s, {Event{0, kNow, "a", AccountRegistered{spec_from_config(changed.accounts[0])}}}, "n2");
  CHECK(s.accounts["a"].registered_by == "n2");  // registered anew: the new registrant
  // SQLite: no node stamps, nobody's in particular.
  CHECK(replay({}, config_sync_events(config_with({"a"}), {}, kNow)).accounts["a"].registered_by.empty());
}

TEST_CASE("shared log: a node's config sync registers and updates its accounts, never removes or rewrites another node's") {
  // n1 lists a and b, n2 lists c and, with another spec, b.
  SystemState s = replay_as({}, config_sync_events(config_with({"a", "b"}), {}, kNow, "n1"), "n1");
  Config n2 = config_with({"b", "c"});
  n2.accounts[0].priority = 9;
  std::vector<std::string> left;
  auto events = config_sync_events(n2, s, kNow, "n2", &left);
  REQUIRE(events.size() == 1);  // c registered; a (not listed) and b (n1's spec) left alone
  CHECK(events[0].account == "c");
  CHECK(event_type(events[0]) == "AccountRegistered");
  CHECK(events[0].node == "n2");
  CHECK(left == std::vector<std::string>{"b (n1)"});
  s = replay_as(s, events, "n2");
  CHECK(s.accounts["c"].registered_by == "n2");
  CHECK(s.accounts["b"].spec.priority == 0);

  // A node with no accounts at all changes nothing.
  CHECK(config_sync_events(config_with({}), s, kNow, "n3").empty());
  // n2 restarts with the same file: nothing to do (b stays n1's spec).
  CHECK(config_sync_events(n2, s, kNow, "n2").empty());
  // n1 restarts with the same file: nothing to do (c is n2's).
  CHECK(config_sync_events(config_with({"a", "b"}), s, kNow, "n1").empty());

  // n1 drops b from its config and changes a: b removed (n1 registered it), a updated.
  Config n1 = config_with({"a"});
  n1.accounts[0].priority = 5;
  events = config_sync_events(n1, s, kNow, "n1");
  REQUIRE(events.size() == 2);
  CHECK(event_type(events[0]) == "AccountUpdated");
  CHECK(events[1].account == "b");
  CHECK(event_type(events[1]) == "AccountRemoved");
  s = replay_as(s, events, "n1");
  CHECK(s.accounts["b"].removed);
  // n2 still lists b: its next sync registers it again, now as n2's, with n2's spec.
  events = config_sync_events(n2, s, kNow, "n2");
  REQUIRE(events.size() == 1);
  CHECK(event_type(events[0]) == "AccountRegistered");
  s = replay_as(s, events, "n2");
  CHECK(s.accounts["b"].registered_by == "n2");
  CHECK(s.accounts["b"].spec.priority == 9);
}

TEST_CASE("one node (SQLite, no node stamps): an account dropped from config.yaml is removed, whoever wrote it") {
  SystemState s = replay({}, config_sync_events(config_with({"a", "b"}), {}, kNow));
  auto events = config_sync_events(config_with({"a"}), s, kNow);
  REQUIRE(events.size() == 1);
  CHECK(event_type(events[0]) == "AccountRemoved");
  CHECK(events[0].node.empty());
  // Accounts registered by no node (a log from before node stamps) are everyone's on a shared log too.
  events = config_sync_events(config_with({"a"}), s, kNow, "n1");
  REQUIRE(events.size() == 1);
  CHECK(events[0].account == "b");
}

namespace {
Config router_with(std::optional<RoutePolicy> policy) {
  Config c = config_with({});
  if (policy) c.router.policy = *policy;
  return c;
}
RoutePolicy policy_in_force(const Config& file, const SystemState& s) {
  return effective_settings(router_settings_from(file.router), s.router).policy;
}
}  // namespace

TEST_CASE("shared log: nodes whose router sections differ do not undo each other or a runtime change at restart") {
  const Config n1 = router_with(RoutePolicy::fill_first), n2 = router_with(RoutePolicy::round_robin),
               n3 = router_with(std::nullopt);  // no router: section (built-in defaults)
  // n1 starts: its file's policy is news.
  auto events = config_sync_events(n1, {}, kNow, "n1");
  REQUIRE(events.size() == 1);
  CHECK(events[0].node == "n1");
  SystemState s = replay_as({}, events, "n1");
  // n2 joins with another policy no file gave yet: news once, for the cluster.
  events = config_sync_events(n2, s, kNow, "n2");
  REQUIRE(events.size() == 1);
  s = replay_as(s, events, "n2");
  CHECK(policy_in_force(n1, s) == RoutePolicy::round_robin);
  // n3 joins without a router: section: nothing (before: it reset the policy to balanced).
  CHECK(config_sync_events(n3, s, kNow, "n3").empty());
  // Restarts: neither file changed, nothing written (before: n1 wrote fill_first back, then
  // n2 round_robin, at every restart).
  CHECK(config_sync_events(n1, s, kNow, "n1").empty());
  CHECK(config_sync_events(n2, s, kNow, "n2").empty());

  // A runtime change is the cluster's: no node's restart undoes it.
  s = replay_as(s, {Event{0, kNow, "", SettingChanged{"router.policy", "\"paced\"", "admin"}}}, "n2");
  std::vector<std::string> left;
  for (const auto* node : {"n1", "n2", "n3"}) {
    const Config& file = std::string(node) == "n1" ? n1 : std::string(node) == "n2" ? n2 : n3;
    CHECK(config_sync_events(file, s, kNow, node, nullptr, &left).empty());
    CHECK(policy_in_force(file, s) == RoutePolicy::paced);
  }
  REQUIRE(left.size() == 3);  // each file's value differs from the one in force: said at start
  // A node added with one of the nodes' files (n1's, not the last one written) undoes nothing.
  CHECK(config_sync_events(n1, s, kNow, "n4").empty());
  CHECK(left[0] == "router.policy (this file: \"fill_first\"; in force: \"paced\", from admin)");

  // A node's file edited: that node's next start applies it, for everyone, once.
  const Config n1_edited = router_with(RoutePolicy::earliest_reset);
  events = config_sync_events(n1_edited, s, kNow, "n1");
  REQUIRE(events.size() == 1);
  s = replay_as(s, events, "n1");
  CHECK(policy_in_force(n2, s) == RoutePolicy::earliest_reset);
  CHECK(config_sync_events(n2, s, kNow, "n2").empty());
  CHECK(config_sync_events(n1_edited, s, kNow, "n1").empty());
  // n3's file gains the line: news for n3 (it had none), applies.
  CHECK(config_sync_events(router_with(RoutePolicy::max_remaining), s, kNow, "n3").size() == 1);
  // A node's file that drops its line goes back to the built-in default, as on one node.
  events = config_sync_events(n3, replay_as(s, config_sync_events(router_with(RoutePolicy::max_remaining), s, kNow, "n3"), "n3"), kNow, "n3");
  REQUIRE(events.size() == 1);
  CHECK(std::get<SettingChanged>(events[0].payload).value == "\"balanced\"");
}

TEST_CASE("shared log: a node added with the same router section as the others undoes no runtime change") {
  const Config file = router_with(RoutePolicy::fill_first);
  SystemState s = replay_as({}, config_sync_events(file, {}, kNow, "n1"), "n1");
  s = replay_as(s, {Event{0, kNow, "", SettingChanged{"router.policy", "\"paced\"", "telegram"}}}, "n1");
  CHECK(config_sync_events(file, s, kNow, "n2").empty());  // before: n2 wrote fill_first
  CHECK(policy_in_force(file, s) == RoutePolicy::paced);
  // One node (SQLite) as before: the file's value compared with the last one recorded.
  SystemState one = replay({}, config_sync_events(file, {}, kNow));
  CHECK(one.router.node_file_values.empty());
  one = replay(one, {Event{0, kNow, "", SettingChanged{"router.policy", "\"paced\"", "admin"}}});
  CHECK(config_sync_events(file, one, kNow).empty());
  CHECK(config_sync_events(router_with(std::nullopt), one, kNow).size() == 1);  // the line dropped
}
