// Unit tests of the forecast math (quota/burn_rate.hpp, quota/forecast.hpp): a fixed clock,
// no threads. Constant rate, burst then idle, a reset inside the horizon, no data, pools.
#include "quota/forecast.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace qg;

namespace {
constexpr TimeMs kMin = 60'000;
constexpr TimeMs kHour = 60 * kMin;
constexpr TimeMs kT0 = 1'764'400'000'000;  // 2025-11-29T07:06:40Z, arbitrary; the tests align below
// A start aligned to a day, so a 1d config window resets 24 h later.
constexpr TimeMs kDay0 = (kT0 / (24 * kHour)) * 24 * kHour;

Event ev(const std::string& account, TimeMs ts, EventPayload p) { return Event{0, ts, account, std::move(p)}; }

AccountState account(const std::string& id, std::vector<LimitSpec> limits, std::vector<std::string> models = {},
                     TimeMs ts = kDay0) {
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = std::move(limits);
  spec.models = std::move(models);
  AccountState s;
  apply(s, ev(id, ts, AccountRegistered{spec}));
  return s;
}

// One committed request of `tokens` output tokens at `ts`.
void commit(AccountState& s, TimeMs ts, std::int64_t tokens = 0) {
  static int n = 0;
  const std::string id = "r" + std::to_string(++n);
  apply(s, ev(s.id, ts, ReservationCreated{id, "m", Usage{1, 0, tokens}, ts + 10 * kMin}));
  apply(s, ev(s.id, ts, ReservationCommitted{id, Usage{1, 0, tokens}, false}));
}
}  // namespace

TEST_CASE("burn rate: a constant rate reads exactly once one half-life has passed") {
  BurnRate b;
  // one unit every second for two hours
  for (TimeMs t = 0; t < 2 * kHour; t += 1000) b.add(1.0, kT0 + t);
  const TimeMs now = kT0 + 2 * kHour - 1000;
  CHECK(b.per_ms(now) * 1000.0 == doctest::Approx(1.0).epsilon(0.001));
  // a half-life later with no commits, half the pace
  CHECK(b.per_ms(now + kBurnHalfLifeMs) * 1000.0 == doctest::Approx(0.5).epsilon(0.001));
}

TEST_CASE("burn rate: a burst then idle halves every half-life - no data reads 0") {
  BurnRate none;
  CHECK(none.per_ms(kT0) == 0);
  BurnRate b;
  b.add(900, kT0);  // 900 units at once
  // right after: the burst spread over one half-life (the short-history floor), x 2 ln 2
  const double first = b.per_ms(kT0) * 1000.0;
  CHECK(first == doctest::Approx(2 * std::log(2.0) * 900.0 / 900.0).epsilon(1e-9));
  CHECK(b.per_ms(kT0 + kBurnHalfLifeMs) * 1000.0 == doctest::Approx(first / 2).epsilon(1e-9));
  CHECK(b.per_ms(kT0 + 10 * kBurnHalfLifeMs) < first / 1000);
}

TEST_CASE("burn rate: commits update it through apply (live and replay alike)") {
  auto s = account("a", {{Metric::requests, 86400, 1000}});
  for (int i = 0; i < 60; ++i) commit(s, kDay0 + i * kMin, 100);
  const TimeMs now = kDay0 + 59 * kMin;
  CHECK(s.burn.per_ms(Metric::requests, now) * kHour == doctest::Approx(60.0).epsilon(0.05));
  CHECK(s.burn.per_ms(Metric::tokens, now) * kHour == doctest::Approx(6000.0).epsilon(0.05));
  CHECK(s.burn.per_ms(Metric::input_tokens, now) == 0);
}

TEST_CASE("window forecast: constant rate runs out before the reset, by how long") {
  QuotaWindow w;
  w.metric = Metric::requests;
  w.window_s = 5 * 3600;
  w.limit = 100;
  w.used = 40;
  w.reserved = 10;
  w.reset_at = kT0 + 3 * kHour;
  const double rate = 25.0 / kHour;  // 25 requests an hour
  const auto f = forecast_window(w, rate, kT0, 95);
  CHECK(f.verdict == ForecastVerdict::runs_out);
  CHECK(f.used == 50);
  CHECK(f.used_percent == doctest::Approx(50.0));
  CHECK(f.exhausts_at == kT0 + 2 * kHour);          // 50 left at 25/h
  CHECK(f.short_by_ms == kHour);
  CHECK(f.critical_at == kT0 + 108 * kMin);         // 45 more to 95 %
  CHECK(f.projected_at_reset == 100);
  CHECK(f.unused_at_reset == 0);
  CHECK(f.rate_per_s == doctest::Approx(25.0 / 3600));
}

TEST_CASE("window forecast: the reset comes inside the horizon — resets first, unused counted") {
  QuotaWindow w;
  w.limit = 100;
  w.used = 20;
  w.reset_at = kT0 + 2 * kHour;
  const auto f = forecast_window(w, 10.0 / kHour, kT0, 95);
  CHECK(f.verdict == ForecastVerdict::resets_first);
  CHECK(f.exhausts_at == 0);
  CHECK(f.short_by_ms == 0);
  CHECK(f.critical_at == 0);                        // 95 is not reached before the reset
  CHECK(f.projected_at_reset == 40);
  CHECK(f.unused_at_reset == 60);
}

TEST_CASE("window forecast: no data (idle), unknown reset, already full") {
  QuotaWindow w;
  w.limit = 100;
  w.used = 30;
  w.reset_at = kT0 + kHour;
  auto idle = forecast_window(w, 0, kT0, 95);
  CHECK(idle.verdict == ForecastVerdict::idle);
  CHECK(idle.exhausts_at == 0);
  CHECK(idle.unused_at_reset == 70);

  w.reset_at = 0;  // the provider did not say
  auto unknown = forecast_window(w, 7.0 / kHour, kT0, 95);
  CHECK(unknown.verdict == ForecastVerdict::runs_out);
  CHECK(unknown.exhausts_at == kT0 + 10 * kHour);
  CHECK(unknown.short_by_ms == 0);
  CHECK_FALSE(unknown.unused_at_reset.has_value());
  auto unknown_idle = forecast_window(w, 0, kT0, 95);
  CHECK(unknown_idle.verdict == ForecastVerdict::idle);
  CHECK_FALSE(unknown_idle.projected_at_reset.has_value());

  w.used = 100;
  w.reset_at = kT0 + kHour;
  auto full = forecast_window(w, 0, kT0, 95);
  CHECK(full.verdict == ForecastVerdict::runs_out);
  CHECK(full.exhausts_at == kT0);
  CHECK(full.critical_at == kT0);
  CHECK(full.short_by_ms == kHour);
}

TEST_CASE("account forecast: windows with a limit only - the window past critical first") {
  auto s = account("a", {{Metric::requests, 86400, 100}, {Metric::tokens, 86400, 0}});
  const auto idle = forecast_account(s, kDay0 + kHour, 95);
  CHECK(idle.state == "active");
  REQUIRE(idle.windows.size() == 1);
  CHECK(idle.windows[0].verdict == ForecastVerdict::idle);
  CHECK(idle.critical_at == 0);
  for (int i = 0; i < 60; ++i) commit(s, kDay0 + i * kMin);  // 60/h for an hour
  const TimeMs now = kDay0 + 60 * kMin;
  const auto f = forecast_account(s, now, 95);
  REQUIRE(f.windows.size() == 1);
  CHECK(f.windows[0].verdict == ForecastVerdict::runs_out);
  CHECK(std::llabs(f.windows[0].exhausts_at - (now + 40 * kMin)) < 2 * kMin);  // 40 left at ~60/h
  CHECK(f.critical_at == f.windows[0].critical_at);
  CHECK(f.recovers_at == kDay0 + 24 * kHour);
  // drained: out of the pool now, recovery unknown
  apply(s, ev("a", now, AccountDrained{"admin"}));
  const auto drained = forecast_account(s, now, 95);
  CHECK(drained.critical_at == now);
  CHECK(drained.recovers_at == 0);
}

TEST_CASE("pool forecast: dry when the last account of the chain passes critical, until the first resets") {
  std::map<std::string, AccountState> states;
  states["a"] = account("a", {{Metric::requests, 86400, 100}}, {"gpt-4o"});
  states["b"] = account("b", {{Metric::requests, 86400, 100}}, {"gpt-4o-mini"});
  states["c"] = account("c", {{Metric::requests, 86400, 100}}, {"claude"});
  for (int i = 0; i < 60; ++i) commit(states["a"], kDay0 + i * kMin);       // 60/h
  for (int i = 0; i < 30; ++i) commit(states["b"], kDay0 + 2 * i * kMin);   // 30/h
  RouterSettings settings;
  settings.fallback_chains["gpt-4o"] = {"gpt-4o-mini"};
  const TimeMs now = kDay0 + 60 * kMin;
  const auto v = forecast(states, settings, now);
  REQUIRE(v.accounts.size() == 3);
  REQUIRE(v.pools.size() == 3);
  const auto& pool = v.pools[1];  // claude, gpt-4o, gpt-4o-mini
  CHECK(pool.model == "gpt-4o");
  CHECK(pool.chain == std::vector<std::string>{"gpt-4o", "gpt-4o-mini"});
  REQUIRE(pool.accounts.size() == 2);
  const TimeMs a_critical = v.accounts[0].critical_at, b_critical = v.accounts[1].critical_at;
  CHECK(a_critical > now);
  CHECK(b_critical > a_critical);
  CHECK(pool.dry_at == b_critical);                  // b is the last to pass critical
  CHECK(pool.dry_until == kDay0 + 24 * kHour);       // the first to reset
  // claude: c burns nothing — never dry
  CHECK(v.pools[0].model == "claude");
  CHECK(v.pools[0].dry_at == 0);
  // gpt-4o-mini alone: b only
  CHECK(v.pools[2].accounts.size() == 1);
  CHECK(v.pools[2].dry_at == b_critical);
  CHECK(v.half_life_ms == kBurnHalfLifeMs);
  CHECK(v.critical_percent == 95);
}
