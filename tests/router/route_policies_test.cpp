// Policies, threshold zones, fallback chains, ties and stickiness of decide().
#include "actors/router/route_decision.hpp"
#include "actors/router/route_explain.hpp"
#include "http/route_explanation_json.hpp"
#include "messages/route_explanation_text.hpp"
#include "actors/router/route_scoring.hpp"
#include "router_world.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::test;

namespace {
RouteDecision decide_now(const RouterWorld& w, const std::string& model, TimeMs now, bool explain = false) {
  return decide(w.view, w.router, RouteRequest{model, "", {1, 0, 0}, {}}, w.settings, now, w.runtime,
                DecideOptions{explain, 4});
}
// Sets account `id`'s daily request window (limit 100) to `used` requests.
void set_used(RouterWorld& w, const std::string& id, std::int64_t used, TimeMs now) {
  w.observe(id, Metric::requests, 86'400, 100, used, kT0 + kDayMs, now);
}
const ExcludedAccount* excluded(const RouteDecision& d, const std::string& id) {
  for (const auto& e : d.excluded) if (e.account == id) return &e;
  return nullptr;
}
}  // namespace

TEST_CASE("fill_first drains accounts in priority order") {
  RouterWorld w;
  w.settings.policy = RoutePolicy::fill_first;
  w.add_account("low", 10, 100, {}, kT0);
  w.add_account("high", 30, 100, {}, kT0);
  w.add_account("mid", 20, 100, {}, kT0);
  std::vector<std::string> order;
  for (int i = 0; i < 270; ++i) {
    auto r = w.route("m", kT0 + i * 1000);
    REQUIRE(!r.account.empty());
    if (order.empty() || order.back() != r.account) order.push_back(r.account);
    w.commit(r, kT0 + i * 1000);
  }
  // Each account is used until `switch` (90 %) before the next one is touched.
  REQUIRE(order.size() >= 3);
  CHECK(order[0] == "high");
  CHECK(order[1] == "mid");
  CHECK(order[2] == "low");
  CHECK(w.admitted["high"] >= 89);
  CHECK(w.used("high") <= 95);
  CHECK(w.used("mid") <= 95);
}

TEST_CASE("earliest_reset prefers the account whose window resets soonest while it has headroom") {
  RouterWorld w;
  w.settings.policy = RoutePolicy::earliest_reset;
  w.add_account("late", 0, 0, {}, kT0);
  w.add_account("soon", 0, 0, {}, kT0);
  w.add_account("unknown", 50, 0, {}, kT0);
  const TimeMs now = kT0 + 3'600'000;
  w.observe("late", Metric::requests, 86'400, 100, 10, now + 20 * 3'600'000, now);
  w.observe("soon", Metric::requests, 86'400, 100, 60, now + 2 * 3'600'000, now);
  w.observe("unknown", Metric::requests, 0, 100, 0, 0, now);
  auto d = decide_now(w, "m", now, true);
  REQUIRE(d.ok());
  CHECK(d.targets == std::vector<std::string>{"soon", "late", "unknown"});
  // Once "soon" has no headroom the next-soonest reset wins.
  w.observe("soon", Metric::requests, 86'400, 100, 100, now + 2 * 3'600'000, now);
  CHECK(decide_now(w, "m", now).chosen() == "late");
}

TEST_CASE("round_robin spreads evenly (within one) and keeps no sticky choice") {
  RouterWorld w;
  w.settings.policy = RoutePolicy::round_robin;
  for (auto id : {"c", "a", "b", "d"}) w.add_account(id, 0, 0, {}, kT0);
  for (int i = 0; i < 401; ++i) w.commit(w.route("m", kT0 + i), kT0 + i);
  std::int64_t lo = 1 << 30, hi = 0;
  for (auto& [id, n] : w.admitted) { lo = std::min(lo, n); hi = std::max(hi, n); }
  CHECK(w.admitted.size() == 4);
  CHECK(hi - lo <= 1);
  CHECK(w.switches.empty());
}

TEST_CASE("zones: a switch-zone account is preferred over a past-critical one (Go inversion fixed)") {
  RouterWorld w;
  w.add_account("crit", 100, 0, {}, kT0);  // high priority must not rescue it
  w.add_account("warm", 0, 0, {}, kT0);
  set_used(w, "crit", 97, kT0);
  set_used(w, "warm", 91, kT0);
  auto d = decide_now(w, "m", kT0, true);
  REQUIRE(d.ok());
  CHECK(d.chosen() == "warm");
  CHECK_FALSE(d.drain);
  REQUIRE(excluded(d, "crit"));
  CHECK(excluded(d, "crit")->reason == "above_critical");

  // A healthy account beats the switch-zone one, which is then excluded.
  w.add_account("fresh", 0, 0, {}, kT0);
  set_used(w, "fresh", 40, kT0);
  d = decide_now(w, "m", kT0, true);
  CHECK(d.chosen() == "fresh");
  REQUIRE(excluded(d, "warm"));
  CHECK(excluded(d, "warm")->reason == "above_switch");
  CHECK(d.targets == std::vector<std::string>{"fresh"});
}

TEST_CASE("zones: every account past critical -> drain the least used, or reject") {
  RouterWorld w;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  set_used(w, "a", 97, kT0);
  set_used(w, "b", 96, kT0);
  auto d = decide_now(w, "m", kT0);
  REQUIRE(d.ok());
  CHECK(d.drain);
  CHECK(d.chosen() == "b");
  CHECK(d.targets == std::vector<std::string>{"b", "a"});

  w.settings.all_critical = AllCritical::reject;
  d = decide_now(w, "m", kT0);
  CHECK_FALSE(d.ok());
  CHECK(d.error == RouteError::quota_exhausted);
  CHECK(d.retry_at == kT0 + kDayMs);
  CHECK(d.message == "no account can take this request for model m: 2 above_critical");
}

TEST_CASE("exhausted everywhere -> quota_exhausted with the earliest reset - unknown model -> no_account_for_model") {
  RouterWorld w;
  w.add_account("a", 0, 0, {"gpt-*"}, kT0);
  w.add_account("b", 0, 0, {"gpt-*"}, kT0);
  w.observe("a", Metric::requests, 3600, 10, 10, kT0 + 1'800'000, kT0);
  w.observe("b", Metric::requests, 3600, 10, 10, kT0 + 900'000, kT0);
  auto d = decide_now(w, "gpt-4o", kT0);
  CHECK(d.error == RouteError::quota_exhausted);
  CHECK(d.retry_at == kT0 + 900'000);
  d = decide_now(w, "claude-3", kT0);
  CHECK(d.error == RouteError::no_account_for_model);
  CHECK(d.message == "no enabled account serves model claude-3");
  // After b's window resets it is routable again.
  CHECK(decide_now(w, "gpt-4o", kT0 + 900'000).chosen() == "b");
}

TEST_CASE("fallback chain is used only when the asked model has no qualifying account") {
  RouterWorld w;
  w.settings.fallback_chains["gpt-4o"] = {"gpt-4o-mini"};
  w.add_account("big", 0, 0, {"gpt-4o"}, kT0);
  w.add_account("small", 0, 0, {"gpt-4o-mini"}, kT0);
  auto d = decide_now(w, "gpt-4o", kT0);
  CHECK(d.chosen() == "big");
  CHECK(d.model_used == "gpt-4o");
  CHECK_FALSE(d.fallback);

  // Past critical: a healthy account of the fallback model wins over draining "big".
  set_used(w, "big", 97, kT0);
  d = decide_now(w, "gpt-4o", kT0);
  CHECK(d.chosen() == "small");
  CHECK(d.model_used == "gpt-4o-mini");
  CHECK(d.fallback);
  CHECK_FALSE(d.drain);

  // Both past critical: drain the asked model's account first.
  set_used(w, "small", 99, kT0);
  d = decide_now(w, "gpt-4o", kT0);
  CHECK(d.chosen() == "big");
  CHECK(d.drain);
  CHECK_FALSE(d.fallback);

  // Cooldown on the asked model's only account -> fallback.
  set_used(w, "big", 10, kT0);
  set_used(w, "small", 10, kT0);
  w.apply_event("big", CooldownStarted{kT0 + 60'000, "rate_limited", "429", 0}, kT0);
  d = decide_now(w, "gpt-4o", kT0);
  CHECK(d.chosen() == "small");
  CHECK(d.fallback);
  // The chain lookup also finds normalised names.
  CHECK(models_to_try(" models/GPT-4o", w.settings) == std::vector<std::string>{" models/GPT-4o", "gpt-4o-mini"});
  CHECK(models_to_try("o1", w.settings) == std::vector<std::string>{"o1"});
}

TEST_CASE("ties are broken by priority, then id - scores are deterministic") {
  RouterWorld w;
  w.add_account("b", 0, 0, {}, kT0);
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("c", 0, 0, {}, kT0);
  auto d = decide_now(w, "m", kT0);
  CHECK(d.targets == std::vector<std::string>{"a", "b", "c"});
  w.settings.policy = RoutePolicy::max_remaining;
  w.add_account("z", 5, 0, {}, kT0);
  d = decide_now(w, "m", kT0);
  CHECK(d.targets == std::vector<std::string>{"z", "a", "b", "c"});
}

TEST_CASE("stickiness: voluntary switch only after dwell, cooldown and a clear score gap - forced at once") {
  RouterWorld w;
  w.settings.policy = RoutePolicy::max_remaining;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  set_used(w, "a", 50, kT0);
  set_used(w, "b", 52, kT0);
  auto r = w.route("m", kT0);
  CHECK(r.account == "a");
  REQUIRE(w.switches.size() == 1);
  CHECK(w.switches[0].reason == "initial");

  // b becomes much better, but min_dwell (5 m) has not passed: stay on a.
  set_used(w, "b", 10, kT0 + 60'000);
  CHECK(w.route("m", kT0 + 60'000).account == "a");
  // Gap within hysteresis after dwell: stay.
  set_used(w, "b", 48, kT0 + 400'000);
  CHECK(w.route("m", kT0 + 400'000).account == "a");
  // Clear gap after dwell: voluntary switch.
  set_used(w, "b", 10, kT0 + 400'000);
  r = w.route("m", kT0 + 400'000);
  CHECK(r.account == "b");
  REQUIRE(w.switches.size() == 2);
  CHECK(w.switches[1].reason == "better");
  CHECK(w.switches[1].from == "a");
  CHECK(w.switches[1].scores.at("b") > w.switches[1].scores.at("a") + 5);

  // Forced: the sticky account is drained by an operator -> switch immediately, reason drain.
  w.apply_event("b", AccountDrained{"admin"}, kT0 + 401'000);
  r = w.route("m", kT0 + 401'000);
  CHECK(r.account == "a");
  REQUIRE(w.switches.size() == 3);
  CHECK(w.switches[2].reason == "draining");
  CHECK(r.decision.forced);
}

TEST_CASE("route keys: per model by default, per model and client key when configured") {
  RouterSettings s;
  CHECK(route_key_for(RouteRequest{"m", "team-a", {}, {}}, s) == "m");
  s.route_by_client_key = true;
  CHECK(route_key_for(RouteRequest{"m", "team-a", {}, {}}, s) == "m|team-a");
  CHECK(route_key_for(RouteRequest{"m", "", {}, {}}, s) == "m");
}

TEST_CASE("request exclusions and refusals: the next target is used and the switch says why") {
  RouterWorld w;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  auto d = decide(w.view, w.router, RouteRequest{"m", "", {1, 0, 0}, {"a"}}, w.settings, kT0, w.runtime,
                  DecideOptions{true, 4});
  CHECK(d.chosen() == "b");
  REQUIRE(excluded(d, "a"));
  CHECK(excluded(d, "a")->reason == "excluded_by_request");

  d = decide_now(w, "m", kT0);
  REQUIRE(d.targets.size() == 2);
  auto sw = switch_for_admitted(d, "b");  // "a" refused the reservation (raced)
  REQUIRE(sw);
  CHECK(sw->to == "b");
  CHECK(sw->reason == "refused");
}

TEST_CASE("route_by_client_key keeps an independent sticky choice per client key") {
  RouterWorld w;
  w.settings.route_by_client_key = true;
  w.settings.policy = RoutePolicy::max_remaining;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  set_used(w, "a", 10, kT0);
  set_used(w, "b", 12, kT0);
  auto route_for = [&](const std::string& key, TimeMs now) {
    auto d = decide(w.view, w.router, RouteRequest{"m", key, {1, 0, 0}, {}}, w.settings, now, w.runtime);
    if (d.switched) w.apply_event("", *d.switched, now);
    return d;
  };
  CHECK(route_for("team-x", kT0).chosen() == "a");
  set_used(w, "a", 30, kT0 + 1000);  // now b is clearly better, but team-x is within min_dwell
  CHECK(route_for("team-x", kT0 + 1000).chosen() == "a");
  auto other = route_for("team-y", kT0 + 1000);  // a new key chooses on its own
  CHECK(other.chosen() == "b");
  REQUIRE(other.switched);
  CHECK(other.switched->route_key == "m|team-y");
  CHECK(other.switched->reason == "initial");
  CHECK(w.router.sticky.at("m|team-x").account == "a");
  CHECK(w.router.sticky.at("m|team-y").account == "b");
}

TEST_CASE("paced prefers the account whose projected use at its reset is furthest below its limit (issue 18)") {
  RouterWorld w;
  const TimeMs now = kT0 + 19 * 3'600'000;  // 5 h before the daily reset
  w.add_account("busy", 0, 100, {}, kT0);     // config window: 100 a day, resets at kT0 + 1 day
  w.add_account("calm", 0, 0, {}, kT0);
  // busy: 20 requests over the last hour (a pace of ~20/h) -> 20 + ~100 by its reset: runs out
  for (int i = 0; i < 20; ++i) {
    const TimeMs ts = now - 3'600'000 + i * 180'000;
    const std::string id = "r" + std::to_string(i);
    w.apply_event("busy", ReservationCreated{id, "m", Usage{1, 0, 0}, ts + 600'000}, ts);
    w.apply_event("busy", ReservationCommitted{id, Usage{1, 0, 0}, false}, ts);
  }
  // calm: 60 used, nothing burning -> 60 at its reset
  w.observe("calm", Metric::requests, 86'400, 100, 60, kT0 + kDayMs, now);
  w.refresh("busy", now);

  const AccountSummary* busy = w.view.find("busy");
  const AccountSummary* calm = w.view.find("calm");
  REQUIRE(busy);
  REQUIRE(calm);
  CHECK(projected_slack(*calm, now) == doctest::Approx(0.4));
  CHECK(projected_slack(*busy, now) < 0);  // would run out before its reset
  CHECK(paced_score(*calm, now) == doctest::Approx(70.0));

  w.settings.policy = RoutePolicy::max_remaining;  // the most headroom now: busy (80 % left vs 40 %)
  CHECK(decide_now(w, "m", now).chosen() == "busy");
  w.settings.policy = RoutePolicy::balanced;
  CHECK(decide_now(w, "m", now).chosen() == "busy");
  w.settings.policy = RoutePolicy::paced;          // what expires unused first: calm
  const RouteDecision d = decide_now(w, "m", now, true);
  REQUIRE(d.ok());
  CHECK(d.chosen() == "calm");
  REQUIRE(d.candidates.size() == 2);
  CHECK(d.candidates[0].score == doctest::Approx(paced_score(*calm, now)));
  CHECK(d.candidates[1].score == doctest::Approx(paced_score(*busy, now)));
  // explained: each window's pace and projection at its reset
  const auto explained = explain(d, w.view, w.settings, now);
  const auto x = route_explanation_json(explained);
  CHECK(x["policy"] == "paced");
  CHECK(x["candidates"][0]["windows"][0]["projected_at_reset"] == 60.0);
  CHECK(x["candidates"][1]["windows"][0]["rate_per_hour"].get<double>() > 15.0);
  CHECK(explain_text(explained).find("pace 0.0/h -> 60 at reset") != std::string::npos);
}

TEST_CASE("an admission is news for the router only with a switch to persist or a round_robin rotation") {
  RouterWorld w;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  auto d = decide_now(w, "m", kT0);
  REQUIRE(d.switched);  // the route's first choice: "initial"
  CHECK(admission_news(d, d.chosen()));
  w.apply_event("", *d.switched, kT0);
  d = decide_now(w, "m", kT0 + 1000);  // sticky now: admitted by its choice, nothing to record
  REQUIRE_FALSE(d.switched);
  CHECK_FALSE(admission_news(d, d.chosen()));
  REQUIRE(d.targets.size() == 2);
  const std::string other = d.targets[1];
  CHECK(admission_news(d, other));  // the choice refused (raced): a forced switch
  w.settings.policy = RoutePolicy::round_robin;
  d = decide_now(w, "m", kT0 + 2000);
  CHECK(admission_news(d, d.chosen()));  // the rotation moves on
}

TEST_CASE("round_robin: the rotation memory is bounded by route keys, and a route in use keeps its place") {
  // Route keys are client model names: every new name used to add an entry for good.
  RouterWorld w;
  w.settings.policy = RoutePolicy::round_robin;
  for (auto id : {"a", "b"}) w.add_account(id, 0, 0, {}, kT0);  // any model
  constexpr std::size_t kBound = kMaxRoundRobinRoutes;          // 4096
  std::string last = w.route("m", kT0).account;
  for (std::size_t i = 0; i < 2 * kBound + 10; ++i) {
    w.commit(w.route("junk-" + std::to_string(i), kT0), kT0);
    if (i % 1000 == 999) {  // "m" is used often enough to stay: it keeps rotating
      const std::string next = w.route("m", kT0).account;
      CHECK(next != last);
      last = next;
    }
  }
  CHECK(w.runtime.round_robin_last.size() <= kBound);  // before: 8203
  CHECK(w.runtime.round_robin_last.count("m") == 1);
}
