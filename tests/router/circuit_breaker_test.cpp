// Circuit breaker: consecutive failures, backoff, 429 hints, auth, half-open probe, replay.
#include "quota/circuit_breaker.hpp"
#include "router_world.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::test;

namespace {
const BreakerSettings kB;  // 5 failures, 10 s base, 10 min cap, 6 h auth

UpstreamOutcome err() { return outcome_of(OutcomeKind::server_error, 0, 502); }
UpstreamOutcome ok() { return outcome_of(OutcomeKind::success, 0, 200); }
}  // namespace

TEST_CASE("breaker: N consecutive failures open it - a success in between resets the count") {
  BreakerState b;
  TimeMs t = kT0;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(on_outcome(b, err(), t++, kB));
  CHECK_FALSE(on_outcome(b, ok(), t++, kB));
  for (int i = 0; i < 4; ++i) CHECK_FALSE(on_outcome(b, err(), t++, kB));
  auto ev = on_outcome(b, outcome_of(OutcomeKind::timeout, 0, 0), t, kB);
  REQUIRE(ev);
  const auto& cs = std::get<CooldownStarted>(*ev);
  CHECK(cs.until == t + 10'000);
  CHECK(cs.reason == "errors");
  CHECK(cs.failures == 5);
  CHECK(cs.detail == "5 consecutive failures, last: timeout");
  // Late failures of requests sent before the cooldown do not extend it.
  CHECK_FALSE(on_outcome(b, err(), t + 1, kB));
}

TEST_CASE("breaker: each failed probe doubles the cooldown up to the cap - success ends it") {
  BreakerState b;
  TimeMs t = kT0;
  for (int i = 0; i < 5; ++i) on_outcome(b, err(), t, kB);
  TimeMs expected = 10'000;
  std::vector<TimeMs> lengths;
  for (int round = 0; round < 10; ++round) {
    t = b.open_until;  // half-open: the probe's outcome arrives
    auto ev = on_outcome(b, err(), t, kB);
    REQUIRE(ev);
    lengths.push_back(std::get<CooldownStarted>(*ev).until - t);
  }
  CHECK(lengths[0] == 20'000);
  CHECK(lengths[1] == 40'000);
  CHECK(lengths[5] == 600'000);  // 640 s capped at 10 min
  CHECK(lengths[9] == 600'000);
  (void)expected;
  // Success before the cooldown passed: no event; after it passed (the probe): CooldownEnded.
  CHECK_FALSE(on_outcome(b, ok(), b.open_until - 1, kB));
  auto ended = on_outcome(b, ok(), b.open_until, kB);
  REQUIRE(ended);
  CHECK(std::get<CooldownEnded>(*ended).reason == "probe_ok");
  CHECK(b.open_until == 0);
  CHECK(b.consecutive_failures == 0);
}

TEST_CASE("breaker: 429 with a reset hint cools down exactly until the hint - auth errors need re-login") {
  BreakerState b;
  auto ev = on_outcome(b, outcome_of(OutcomeKind::rate_limited, kT0 + 30'000, 429), kT0, kB);
  REQUIRE(ev);
  auto cs = std::get<CooldownStarted>(*ev);
  CHECK(cs.until == kT0 + 30'000);
  CHECK(cs.reason == "rate_limited");
  CHECK(cs.detail == "429 Retry-After 30s");
  // A shorter hint does not shorten an open cooldown.
  CHECK_FALSE(on_outcome(b, outcome_of(OutcomeKind::rate_limited, kT0 + 10'000, 429), kT0 + 1, kB));

  BreakerState a;
  ev = on_outcome(a, outcome_of(OutcomeKind::auth_error, 0, 403), kT0, kB);
  REQUIRE(ev);
  cs = std::get<CooldownStarted>(*ev);
  CHECK(cs.until == kT0 + 6 * 3'600'000);
  CHECK(cs.reason == "auth");
  CHECK(cs.detail == "403: re-login needed");
}

TEST_CASE("breaker: replaying its events rebuilds the failure count and open state") {
  BreakerState live;
  std::vector<Event> log;
  TimeMs t = kT0;
  for (int i = 0; i < 6; ++i) {
    if (auto ev = on_outcome(live, err(), t, kB)) log.push_back(Event{0, t, "a", *ev});
    t = std::max(t + 1, live.open_until);
  }
  BreakerState replayed;
  for (const auto& e : log) apply(replayed, e);
  CHECK(replayed.open_until == live.open_until);
  CHECK(replayed.consecutive_failures == live.consecutive_failures);
}

TEST_CASE("breaker: after a restart the account's folded state rebuilds it - the next failure backs off longer") {
  // Live: errors open the breaker, two failed probes lengthen it, a 429 on top keeps the count.
  BreakerState live;
  AccountState account;
  account.id = "a";
  TimeMs t = kT0;
  auto record = [&](const std::optional<EventPayload>& ev) {
    if (!ev) return;
    Event e{0, t, "a", *ev};
    apply(account, e);
  };
  for (int i = 0; i < 7; ++i) {
    record(on_outcome(live, err(), t, kB));
    t = std::max(t + 1, live.open_until);
  }
  record(on_outcome(live, outcome_of(OutcomeKind::rate_limited, t + 30'000, 429), t, kB));
  REQUIRE(live.consecutive_failures == 7);

  // Restart: the actor starts from the recovered AccountState only.
  BreakerState restarted = breaker_from(account);
  CHECK(restarted.open_until == live.open_until);
  CHECK(restarted.consecutive_failures == live.consecutive_failures);
  // So the probe that fails after the restart gets the same, longer cooldown as without one.
  t = live.open_until;
  auto a = on_outcome(live, err(), t, kB);
  auto b = on_outcome(restarted, err(), t, kB);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(std::get<CooldownStarted>(*b).until == std::get<CooldownStarted>(*a).until);
  CHECK(std::get<CooldownStarted>(*b).until - t > kB.base_ms);
  // A success closes both; the folded state forgets the count as the breaker does.
  record(on_outcome(live, ok(), live.open_until, kB));
  CHECK(breaker_from(account).consecutive_failures == 0);
  CHECK(breaker_from(account).open_until == 0);
}

TEST_CASE("breaker: 429 Retry-After 30 -> no request to that account for 30 s, then exactly one probe") {
  RouterWorld w;
  w.settings.policy = RoutePolicy::fill_first;  // "a" is preferred whenever it qualifies
  w.settings.anti_flapping = AntiFlapping{0, 0, 5};
  w.add_account("a", 20, 0, {}, kT0);
  w.add_account("b", 10, 0, {}, kT0);
  auto first = w.route("m", kT0);
  REQUIRE(first.account == "a");
  w.outcome("a", outcome_of(OutcomeKind::rate_limited, kT0 + 30'000, 429), kT0);

  std::vector<TimeMs> to_a;
  Routed probe;
  for (TimeMs t = kT0 + 100; t < kT0 + 35'000; t += 100) {
    auto r = w.route("m", t);
    REQUIRE(!r.account.empty());
    if (r.account == "a") { to_a.push_back(t); probe = r; }
  }
  REQUIRE(to_a.size() == 1);  // the probe, and nothing before the hint
  CHECK(to_a[0] == kT0 + 30'000);
  // While the probe is out, the decision explains why "a" is skipped.
  auto d = decide(w.view, w.router, RouteRequest{"m", "", {1, 0, 0}, {}}, w.settings, kT0 + 35'000,
                  w.runtime, DecideOptions{true, 4});
  CHECK(d.chosen() == "b");
  REQUIRE(d.excluded.size() == 1);
  CHECK(d.excluded[0].reason == "probe_in_flight");

  w.commit(probe, kT0 + 35'000);
  w.outcome("a", ok(), kT0 + 35'000);  // probe succeeded -> CooldownEnded, "a" is back
  CHECK(w.accounts.at("a").cooldown_until == 0);
  CHECK(w.route("m", kT0 + 35'100).account == "a");
  CHECK(w.route("m", kT0 + 35'200).account == "a");
}

TEST_CASE("breaker: the router's view changes with the probe, the cooldown or an error-rate step") {
  BreakerState b;
  BreakerState after = b;
  CHECK_FALSE(breaker_view_changed(b, after));
  after.error_rate = kErrorRateViewStep / 2;
  CHECK_FALSE(breaker_view_changed(b, after));  // a small step: the next reserve carries it
  after.error_rate = kErrorRateViewStep;
  CHECK(breaker_view_changed(b, after));
  after = b;
  after.probe_in_flight = true;
  CHECK(breaker_view_changed(b, after));
  after = b;
  after.consecutive_failures = 1;
  CHECK(breaker_view_changed(b, after));
  // A run of successes from a clean state changes nothing the router sees.
  BreakerState clean;
  BreakerState next = clean;
  on_outcome(next, ok(), kT0, kB);
  CHECK_FALSE(breaker_view_changed(clean, next));
  // One failure does.
  on_outcome(next, err(), kT0 + 1, kB);
  CHECK(breaker_view_changed(clean, next));
}

TEST_CASE("breaker: QuotaGuard out of descriptors (local_exhausted) counts nothing against the account") {
  BreakerState b;
  TimeMs t = kT0;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(on_outcome(b, err(), t++, kB));
  for (int i = 0; i < 20; ++i) CHECK_FALSE(on_outcome(b, outcome_of(OutcomeKind::local_exhausted, 0, 0), t++, kB));
  CHECK(b.consecutive_failures == 4);
  CHECK(b.open_until == 0);
  CHECK(on_outcome(b, err(), t, kB));  // the fifth real failure still opens it
}
