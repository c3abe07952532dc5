// tests/sim/simulation_test.cpp — issue 18 §2: the simulation engine on crafted logs.
//
// The log below is what a daemon with policy fill_first writes for this traffic (every decision
// worked out by hand in the comments); the balanced figures are worked out the same way.
#include "sim/plot_svg.hpp"
#include "sim/report_output.hpp"
#include "sim/simulation.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::sim;

namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;  // a multiple of one hour: the 1h windows reset at T0 + 1h
constexpr TimeMs kMin = 60'000;

struct Log {
  std::vector<Event> events;
  void add(TimeMs ts, std::string account, EventPayload p) {
    events.push_back(Event{events.size() + 1, ts, std::move(account), std::move(p)});
  }
  void account(const std::string& id, std::vector<std::string> models, std::int64_t priority) {
    AccountSpec s;
    s.provider = "openai";
    s.type = "openai";
    s.models = std::move(models);
    s.priority = priority;
    s.limits = {LimitSpec{Metric::requests, 3600, 10}};
    s.origin = "config";
    add(kT0, id, AccountRegistered{s});
  }
  void setting(std::string_view key, std::string value) {
    add(kT0, "", SettingChanged{std::string(key), std::move(value), "config"});
  }
  // A request served by `account` at T0 + minute, committed 30 s later.
  void served(int n, int minute, const std::string& model, const std::string& account) {
    const TimeMs at = kT0 + minute * kMin;
    const std::string id = "r" + std::to_string(n);
    add(at, account, ReservationCreated{id, model, Usage{1, 0, 0}, at + 10 * kMin, "q" + std::to_string(n), "chat"});
    add(at + 30'000, account, ReservationCommitted{id, Usage{1, 0, 0}, false});
  }
  void switched(int minute, const std::string& key, const std::string& from, const std::string& to,
                const std::string& reason) {
    add(kT0 + minute * kMin + 1, "", RouteSwitched{key, from, to, reason, {}});
  }
  void refused(int n, int minute, const std::string& model) {
    add(kT0 + minute * kMin, "", RouteRefused{model, "chat", "", Usage{1, 0, 0}, "q" + std::to_string(n), "quota_exhausted"});
  }
};

// Two accounts, 10 requests an hour each; a (priority 1) serves m1 and m2, b only m1. Recorded
// under fill_first with hysteresis 0 and no dwell (so each decision is easy to follow):
//   m1 x 10 at minutes 1..10: a takes 1..8 (8 x 10% = 80%); the 9th would bring a to 90% =
//     switch while b is at 10% < 90 - 0: a is skipped, b takes the 9th and 10th;
//   m2 x 5 at minutes 21..25: only a serves m2: the 11th brings it to 90% (no other account
//     in the zone check), the 12th to 100% (> critical: drained, as every candidate is), the
//     13th..15th find a exhausted: 429.
//   At the reset (T0 + 1h): a used 10 (0 unused), b used 2 (8 unused).
Log fill_first_log() {
  Log log;
  log.account("a", {"m1", "m2"}, 1);
  log.account("b", {"m1"}, 0);
  log.setting("router.policy", "\"fill_first\"");
  log.setting("router.anti_flapping", R"({"cooldown_after_switch":"0s","hysteresis":0,"min_dwell":"0s"})");
  for (int i = 1; i <= 10; ++i) {
    const std::string acc = i <= 8 ? "a" : "b";
    log.served(i, i, "m1", acc);
    if (i == 1) log.switched(i, "m1", "", "a", "initial");
    if (i == 9) log.switched(i, "m1", "a", "b", "above_switch");
  }
  for (int i = 11; i <= 15; ++i) {
    if (i <= 12) log.served(i, 10 + i, "m2", "a");
    else log.refused(i, 10 + i, "m2");
    if (i == 11) log.switched(10 + i, "m2", "", "a", "initial");
  }
  return log;
}

SimReport run(const Log& log, SimOptions o) {
  o.until = kT0 + 2 * 3600'000 - 1;  // one reset (T0 + 1h) inside the span
  Simulation s(std::move(o));
  for (const auto& e : log.events) s.feed(e);
  return s.finish();
}

const WindowStats& window_of(const RunStats& r, const std::string& account) {
  for (const auto& w : r.windows)
    if (w.account == account) return w;
  FAIL("no window for " << account);
  return r.windows.front();
}

}  // namespace

TEST_CASE("simulate: replaying a crafted fill_first log with the settings in force reproduces every decision") {
  const SimReport r = run(fill_first_log(), {});
  CHECK(r.settings_as_recorded);
  CHECK(r.divergences == 0);
  CHECK(r.recorded_settings.policy == RoutePolicy::fill_first);
  CHECK(r.simulated_settings == r.recorded_settings);
  for (const RunStats* s : {&r.recorded, &r.simulated}) {
    CHECK(s->requests == 15);
    CHECK(s->served == 12);
    CHECK(s->refused == 3);
    CHECK(s->fallback == 0);
    CHECK(s->switches == 3);
    CHECK(window_of(*s, "a").unused_at_reset == 0);
    CHECK(window_of(*s, "b").unused_at_reset == 8);
    CHECK(window_of(*s, "a").resets == 1);
    CHECK(window_of(*s, "a").peak_percent == doctest::Approx(100));
    CHECK(window_of(*s, "b").peak_percent == doctest::Approx(20));
  }
}

// balanced (hysteresis 0, no dwell): score = 55 x headroom + 20 x reset soon + 15 x health +
// 10 x priority/100, so a leads b by 0.1 at equal use and b leads a by 5.4 when a is 10 points
// fuller: m1 alternates a, b, a, b, ... (5 each, 10 switches), then a takes all 5 m2 requests
// (60% .. 100%): nothing refused; at the reset a has 0 unused and b 5.
TEST_CASE("simulate: fill_first vs balanced on a crafted log - 429s and unused quota as computed by hand") {
  SimOptions o;
  o.policy = RoutePolicy::balanced;
  const SimReport r = run(fill_first_log(), o);
  CHECK_FALSE(r.settings_as_recorded);
  CHECK(r.recorded.refused == 3);
  CHECK(r.simulated.refused == 0);
  CHECK(r.simulated.served == 15);
  CHECK(window_of(r.recorded, "b").unused_at_reset + window_of(r.recorded, "a").unused_at_reset == 8);
  CHECK(window_of(r.simulated, "a").unused_at_reset == 0);
  CHECK(window_of(r.simulated, "b").unused_at_reset == 5);
  CHECK(r.simulated.switches == 11);
  // Where the runs part: every difference is put down to the settings.
  CHECK(r.divergences > 0);
  CHECK(r.divergence_causes.size() == 1);
  CHECK(r.divergence_causes.count("settings") == 1);
  CHECK(r.first_divergences.front().detail == "policy fill_first -> balanced");
  // m1 requests 2, 4, 6, 8 go to b instead of a; 9 and 10 swap too (a, b instead of b, b):
  // 2, 4, 6, 8, 9 differ; the m2 requests 13..15 are served instead of refused.
  CHECK(r.divergences == 8);
}

TEST_CASE("simulate: divergences a replay cannot explain are counted and named") {
  Log log = fill_first_log();
  // The daemon put request 3 on b although the log says a had room: something the log does
  // not hold (a breaker's error rate, a summary in flight).
  for (auto& e : log.events) {
    if (auto* c = std::get_if<ReservationCreated>(&e.payload); c && c->id == "r3") e.account = "b";
    if (auto* c = std::get_if<ReservationCommitted>(&e.payload); c && c->id == "r3") e.account = "b";
  }
  const SimReport r = run(log, {});
  REQUIRE(r.divergences >= 1);
  const Divergence& d = r.first_divergences.front();
  CHECK(d.request_id == "q3");
  CHECK(d.recorded == "b");
  CHECK(d.simulated == "a");
  CHECK(d.cause == "not_in_log");
  CHECK(d.detail.find("b ranked below a") == 0);
  // From there on the two runs hold other quota: later differences are put down to that.
  for (const auto& [cause, n] : r.divergence_causes) CHECK((cause == "not_in_log" || cause == "state"));

  // Other limits (--accounts-limits) change the state the decisions see.
  SimOptions o;
  o.limits["a"] = {LimitSpec{Metric::requests, 3600, 5}};
  const SimReport l = run(fill_first_log(), o);
  CHECK(l.divergences > 0);
  CHECK(l.divergence_causes.count("state") == 1);
  CHECK(window_of(l.simulated, "a").limit == 5);
}

TEST_CASE("simulate: --since starts counting at a time, the state before it is the recorded one") {
  SimOptions o;
  o.since = kT0 + 20 * kMin;  // only the m2 requests
  const SimReport r = run(fill_first_log(), o);
  CHECK(r.divergences == 0);
  CHECK(r.recorded.requests == 5);
  CHECK(r.recorded.refused == 3);
  CHECK(r.simulated.refused == 3);
  o.policy = RoutePolicy::balanced;  // a is at 8 of 10 whatever the policy from here: 3 refused still
  const SimReport b = run(fill_first_log(), o);
  CHECK(b.simulated.refused == 3);
}

TEST_CASE("simulate: upstream failures fail the simulated attempt too, the retry avoids that account") {
  Log log;
  log.account("a", {"m1"}, 1);
  log.account("b", {"m1"}, 0);
  log.setting("router.policy", "\"fill_first\"");
  const TimeMs at = kT0 + kMin;
  log.add(at, "a", ReservationCreated{"r1", "m1", Usage{1, 0, 0}, at + 600'000, "q1", "chat"});
  log.add(at + 1, "", RouteSwitched{"m1", "", "a", "initial", {}});
  log.add(at + 100, "a", ReservationReleased{"r1", "upstream_server_error"});
  log.add(at + 101, "b", ReservationCreated{"r2", "m1", Usage{1, 0, 0}, at + 600'000, "q1", "chat"});
  log.add(at + 102, "", RouteSwitched{"m1", "a", "b", "refused", {}});
  log.add(at + 900, "b", ReservationCommitted{"r2", Usage{1, 0, 0}, false});
  const SimReport r = run(log, {});
  CHECK(r.divergences == 0);
  CHECK(r.recorded.requests == 1);
  CHECK(r.simulated.requests == 1);
  CHECK(r.simulated.served == 1);
  CHECK(window_of(r.simulated, "b").peak_percent == doctest::Approx(10));
}

TEST_CASE("simulate: the same log gives byte-identical text, JSON and SVG") {
  SimOptions o;
  o.policy = RoutePolicy::balanced;
  o.series = true;
  const SimReport a = run(fill_first_log(), o), b = run(fill_first_log(), o);
  CHECK(report_text(a) == report_text(b));
  CHECK(report_json(a) == report_json(b));
  CHECK(plot_svg(a) == plot_svg(b));
  const auto j = nlohmann::json::parse(report_json(a));
  CHECK(j["recorded"]["refused"] == 3);
  CHECK(j["simulated"]["refused"] == 0);
  CHECK(j["settings"]["simulated"]["policy"] == "balanced");
  const std::string svg = plot_svg(a);
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find("429 recorded (3)") != std::string::npos);
  CHECK(svg.find("429 simulated (0)") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(report_text(a).find("refused (429)") != std::string::npos);
}
