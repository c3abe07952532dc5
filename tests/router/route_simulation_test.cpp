// Deterministic simulations with a simulated clock: thresholds under load, anti-flapping under
// jittering observations, switch bounds under a real drain.
#include "router_world.hpp"

#include <doctest/doctest.h>

#include <deque>

using namespace qg;
using namespace qg::test;

namespace {

// A tiny deterministic generator (same numbers on every platform).
struct Lcg {
  std::uint64_t x;
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + static_cast<std::int64_t>((x >> 33) % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

const std::map<std::string, std::int64_t> kLimits{{"a", 3000}, {"b", 3500}, {"c", 4000}};

// Would one more request keep `id` at or below critical? (what "has headroom" means)
bool has_headroom(const RouterWorld& w, const std::string& id, TimeMs now) {
  const auto& s = w.accounts.at(id);
  if (!admission_refusal(s, Usage{1, 0, 0}, now).empty()) return false;
  return 100.0 * static_cast<double>(w.used(id) + 1) / static_cast<double>(kLimits.at(id)) <=
         w.settings.thresholds.critical;
}

struct SwitchCounts { int voluntary = 0, forced = 0, initial = 0; };
SwitchCounts count_switches(const std::vector<RouteSwitched>& sw) {
  SwitchCounts c;
  for (const auto& s : sw) {
    if (s.reason == "initial") ++c.initial;
    else if (s.reason == "better") ++c.voluntary;
    else ++c.forced;
  }
  return c;
}

}  // namespace

TEST_CASE("simulation: 10,000 requests over 3 accounts never use a past-critical account while another has headroom") {
  for (auto policy : {RoutePolicy::balanced, RoutePolicy::max_remaining, RoutePolicy::fill_first,
                      RoutePolicy::earliest_reset, RoutePolicy::round_robin}) {
    CAPTURE(to_string(policy));
    RouterWorld w;
    w.settings.policy = policy;
    std::int64_t prio = 3;
    for (const auto& [id, limit] : kLimits) w.add_account(id, prio--, limit, {}, kT0);

    std::deque<Routed> in_flight;  // up to 8 open reservations at a time
    int violations = 0, over_limit = 0, refused = 0;
    for (int i = 0; i < 10'000; ++i) {
      const TimeMs now = kT0 + i * 1000;
      std::map<std::string, bool> headroom;
      for (const auto& [id, _] : kLimits) headroom[id] = has_headroom(w, id, now);
      auto r = w.route("m", now);
      if (r.account.empty()) { ++refused; continue; }
      if (!headroom[r.account]) {
        for (const auto& [id, ok] : headroom) if (id != r.account && ok) ++violations;
      }
      for (const auto& [id, limit] : kLimits) if (w.used(id) > limit) ++over_limit;
      in_flight.push_back(r);
      if (in_flight.size() > 8) { w.commit(in_flight.front(), now); in_flight.pop_front(); }
    }
    for (const auto& r : in_flight) w.commit(r, kT0 + 10'000'000);
    CHECK(violations == 0);
    CHECK(over_limit == 0);
    CHECK(refused == 0);  // 10,000 < 10,500 total: every request found room
    std::int64_t total = 0;
    for (const auto& [id, limit] : kLimits) {
      CHECK(w.used(id) <= limit);
      total += w.used(id);
    }
    CHECK(total == 10'000);
  }
}

TEST_CASE("simulation: past all limits every request is refused with quota_exhausted and a reset time") {
  RouterWorld w;
  for (const auto& [id, limit] : kLimits) w.add_account(id, 0, limit, {}, kT0);
  int refused = 0;
  for (int i = 0; i < 11'000; ++i) {
    auto r = w.route("m", kT0 + i * 1000);
    if (r.account.empty()) {
      ++refused;
      CHECK(r.decision.error == RouteError::quota_exhausted);
      CHECK(r.decision.retry_at == kT0 + kDayMs);
    }
    w.commit(r, kT0 + i * 1000);
  }
  CHECK(refused == 500);
  for (const auto& [id, limit] : kLimits) CHECK(w.used(id) == limit);
}

namespace {
// Two accounts with equal headroom whose observed usage jitters by up to ±3 points each
// minute; one request every 10 s for an hour. Returns the switches recorded.
SwitchCounts jitter_hour(const AntiFlapping& af) {
  RouterWorld w;
  w.settings.anti_flapping = af;
  w.add_account("a", 0, 0, {}, kT0);
  w.add_account("b", 0, 0, {}, kT0);
  Lcg rng{42};
  for (TimeMs t = 0; t < 3'600'000; t += 10'000) {
    const TimeMs now = kT0 + t;
    if (t % 60'000 == 0)
      for (auto id : {"a", "b"})
        w.observe(id, Metric::requests, 86'400, 10'000, 5'000 + rng.between(-300, 300), kT0 + kDayMs, now);
    auto r = w.route("m", now);
    REQUIRE(!r.account.empty());
    w.commit(r, now);
  }
  return count_switches(w.switches);
}
}  // namespace

TEST_CASE("simulation: jittering observations cause zero voluntary switches (hysteresis 5, min_dwell 5m)") {
  const auto c = jitter_hour(AntiFlapping{300'000, 180'000, 5});
  CHECK(c.initial == 1);
  CHECK(c.voluntary == 0);
  CHECK(c.forced == 0);
  // Control: the same hour without anti-flapping flaps (so the check above can fail).
  const auto flappy = jitter_hour(AntiFlapping{0, 0, 0});
  CHECK(flappy.voluntary > 20);
}

TEST_CASE("simulation: a real drain switches at most elapsed/min_dwell + forced times") {
  for (auto policy : {RoutePolicy::balanced, RoutePolicy::max_remaining}) {
    CAPTURE(to_string(policy));
    RouterWorld w;
    w.settings.policy = policy;
    w.add_account("a", 0, 0, {}, kT0);
    w.add_account("b", 0, 0, {}, kT0);
    w.add_account("c", 0, 0, {}, kT0);
    std::map<std::string, std::int64_t> real;  // usage the provider would report
    for (auto id : {"a", "b", "c"}) w.observe(id, Metric::requests, 86'400, 3'000, 0, kT0 + kDayMs, kT0);
    const TimeMs elapsed = 3'600'000;
    for (TimeMs t = 0; t < elapsed; t += 1'000) {  // 3,600 requests drain 40 % of the total
      const TimeMs now = kT0 + t;
      if (t % 60'000 == 0)
        for (auto id : {"a", "b", "c"})
          w.observe(id, Metric::requests, 86'400, 3'000, real[id], kT0 + kDayMs, now);
      auto r = w.route("m", now);
      REQUIRE(!r.account.empty());
      ++real[r.account];
      w.commit(r, now);
    }
    const auto c = count_switches(w.switches);
    CHECK(c.voluntary >= 1);  // the drain really moves traffic
    CHECK(c.voluntary + c.forced <= elapsed / w.settings.anti_flapping.min_dwell_ms + c.forced);
    CHECK(c.voluntary <= elapsed / w.settings.anti_flapping.min_dwell_ms);
    // Traffic was spread: no account ended far above the others.
    std::int64_t lo = 1 << 30, hi = 0;
    for (auto& [id, n] : real) { lo = std::min(lo, n); hi = std::max(hi, n); }
    CHECK(hi - lo < 600);
  }
}
