// Unit tests of the pure account state: apply() for every event, roll-over, admission.
#include "quota/account_state.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
constexpr TimeMs kDay = 86'400'000;
constexpr TimeMs kT0 = 1'764'400'000'000;  // 2025-11-29, arbitrary

Event ev(TimeMs ts, EventPayload p) { return Event{0, ts, "acc", std::move(p)}; }

AccountState registered(std::vector<LimitSpec> limits, TimeMs ts = kT0) {
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = std::move(limits);
  AccountState s;
  apply(s, ev(ts, AccountRegistered{spec}));
  return s;
}
Usage usage(std::int64_t req, std::int64_t in, std::int64_t out) { return Usage{req, in, out}; }
}  // namespace

TEST_CASE("AccountRegistered creates config windows aligned to the window length") {
  auto s = registered({{Metric::requests, 86400, 100}, {Metric::tokens, 60, 1000}});
  REQUIRE(s.windows.size() == 2);
  CHECK(s.id == "acc");
  CHECK(s.windows[0].limit == 100);
  CHECK(s.windows[0].reset_at == (kT0 / kDay + 1) * kDay);
  CHECK(s.windows[1].reset_at % 60'000 == 0);
  CHECK(s.windows[0].source == QuotaSource::config);
  CHECK(status_at(s, kT0) == AccountStatus::active);
}

TEST_CASE("AccountUpdated keeps usage of windows that stay and drops removed ones") {
  auto s = registered({{Metric::requests, 86400, 100}, {Metric::tokens, 60, 1000}});
  apply(s, ev(kT0 + 1, ReservationCreated{"r1", "m", usage(1, 10, 10), kT0 + 600'000}));
  apply(s, ev(kT0 + 2, ReservationCommitted{"r1", usage(1, 5, 5), false}));
  AccountSpec spec = s.spec;
  spec.limits = {{Metric::requests, 86400, 50}};
  apply(s, ev(kT0 + 3, AccountUpdated{spec}));
  REQUIRE(s.windows.size() == 1);
  CHECK(s.windows[0].used == 1);
  CHECK(s.windows[0].limit == 50);
}

TEST_CASE("reservation lifecycle: created, committed, released, expired - double resolution ignored") {
  auto s = registered({{Metric::requests, 86400, 10}, {Metric::tokens, 86400, 1000}});
  apply(s, ev(kT0 + 1, ReservationCreated{"a", "m", usage(1, 100, 200), kT0 + 1000}));
  CHECK(s.windows[0].reserved == 1);
  CHECK(s.windows[1].reserved == 300);
  apply(s, ev(kT0 + 2, ReservationCommitted{"a", usage(1, 90, 50), false}));
  CHECK(s.windows[0].reserved == 0);
  CHECK(s.windows[0].used == 1);
  CHECK(s.windows[1].used == 140);
  apply(s, ev(kT0 + 3, ReservationCommitted{"a", usage(1, 90, 50), false}));  // again
  CHECK(s.windows[1].used == 140);
  CHECK(s.counters.committed == 1);

  apply(s, ev(kT0 + 4, ReservationCreated{"b", "m", usage(1, 1, 1), kT0 + 1000}));
  apply(s, ev(kT0 + 5, ReservationReleased{"b", "upstream 500"}));
  apply(s, ev(kT0 + 6, ReservationExpired{"b"}));
  CHECK(s.counters.released == 1);
  CHECK(s.counters.expired == 0);
  apply(s, ev(kT0 + 7, ReservationCreated{"c", "m", usage(1, 1, 1), kT0 + 1000}));
  apply(s, ev(kT0 + 8, ReservationExpired{"c"}));
  CHECK(s.counters.expired == 1);
  CHECK(s.reservations.empty());
  CHECK(s.windows[0].reserved == 0);
  CHECK(s.windows[0].used == 1);  // released/expired reservations count nothing
}

TEST_CASE("admission refuses what would pass a limit, counting open reservations") {
  auto s = registered({{Metric::requests, 86400, 2}});
  CHECK(admission_refusal(s, usage(1, 0, 0), kT0).empty());
  apply(s, ev(kT0 + 1, ReservationCreated{"a", "m", usage(1, 0, 0), kT0 + 1000}));
  apply(s, ev(kT0 + 2, ReservationCreated{"b", "m", usage(1, 0, 0), kT0 + 1000}));
  CHECK(admission_refusal(s, usage(1, 0, 0), kT0 + 3) == "window full: requests/86400s");
  apply(s, ev(kT0 + 4, ReservationReleased{"b", ""}));
  CHECK(admission_refusal(s, usage(1, 0, 0), kT0 + 5).empty());
}

TEST_CASE("config windows roll over at their aligned reset") {
  auto s = registered({{Metric::requests, 86400, 2}});
  apply(s, ev(kT0 + 1, ReservationCreated{"a", "m", usage(1, 0, 0), kT0 + 1000}));
  apply(s, ev(kT0 + 2, ReservationCommitted{"a", usage(1, 0, 0), false}));
  apply(s, ev(kT0 + 3, ReservationCreated{"b", "m", usage(1, 0, 0), kT0 + 1000}));
  apply(s, ev(kT0 + 4, ReservationCommitted{"b", usage(1, 0, 0), false}));
  CHECK(status_at(s, kT0 + 5) == AccountStatus::exhausted);
  const TimeMs reset = s.windows[0].reset_at;
  CHECK(earliest_reset(s, kT0 + 5) == reset);
  CHECK_FALSE(admission_refusal(s, usage(1, 0, 0), reset - 1).empty());
  CHECK(admission_refusal(s, usage(1, 0, 0), reset).empty());
  CHECK(status_at(s, reset) == AccountStatus::active);
  roll_windows(s, reset + 5);
  CHECK(s.windows[0].used == 0);
  CHECK(s.windows[0].reset_at == reset + kDay);
}

TEST_CASE("QuotaObserved replaces used/limit/reset - later commits count on top") {
  auto s = registered({});
  QuotaObserved q{QuotaSource::headers, {{Metric::requests, 60, 500, 100, kT0 + 30'000}}};
  apply(s, ev(kT0, q));
  REQUIRE(s.windows.size() == 1);
  CHECK(s.windows[0].origin == WindowOrigin::observed);
  CHECK(s.windows[0].used == 100);
  apply(s, ev(kT0 + 1, ReservationCreated{"a", "m", usage(1, 0, 0), kT0 + 9000}));
  apply(s, ev(kT0 + 2, ReservationCommitted{"a", usage(1, 0, 0), false}));
  CHECK(s.windows[0].used == 101);
  q.windows[0].used = 101;  // the next observation covers the commit: no double count
  apply(s, ev(kT0 + 3, q));
  CHECK(s.windows[0].used == 101);
  CHECK(s.windows[0].observed_at == kT0 + 3);
  // Past the provider's reset with no observation: restart from zero, estimated.
  roll_windows(s, kT0 + 31'000);
  CHECK(s.windows[0].used == 0);
  CHECK(s.windows[0].source == QuotaSource::estimated);
  CHECK(s.windows[0].reset_at == kT0 + 90'000);
}

TEST_CASE("an observation creates a window that counts already-open reservations") {
  auto s = registered({});
  apply(s, ev(kT0 + 1, ReservationCreated{"a", "m", usage(1, 10, 20), kT0 + 9000}));
  apply(s, ev(kT0 + 2, QuotaObserved{QuotaSource::poll, {{Metric::tokens, 3600, 1000, 0, 0}}}));
  CHECK(s.windows[0].reserved == 30);
  CHECK(s.windows[0].source == QuotaSource::poll);
}

TEST_CASE("cooldown, drain, resume, remove and disable decide the status") {
  auto s = registered({});
  apply(s, ev(kT0, CooldownStarted{kT0 + 30'000, "rate_limited", "429 Retry-After 30s", 0}));
  CHECK(status_at(s, kT0 + 1) == AccountStatus::cooldown);
  CHECK(admission_refusal(s, usage(1, 0, 0), kT0 + 1) == "cooldown");
  CHECK(status_at(s, kT0 + 30'000) == AccountStatus::active);
  apply(s, ev(kT0 + 2, CooldownEnded{"operator"}));
  CHECK(s.cooldown_until == 0);
  apply(s, ev(kT0 + 3, AccountDrained{"admin"}));
  CHECK(status_at(s, kT0 + 3) == AccountStatus::draining);
  apply(s, ev(kT0 + 4, AccountResumed{"admin"}));
  CHECK(status_at(s, kT0 + 4) == AccountStatus::active);
  apply(s, ev(kT0 + 5, AccountRemoved{"file deleted"}));
  CHECK(status_at(s, kT0 + 5) == AccountStatus::disabled);
  AccountSpec spec = s.spec;
  spec.enabled = false;
  apply(s, ev(kT0 + 6, AccountUpdated{spec}));
  CHECK(status_at(s, kT0 + 6) == AccountStatus::disabled);
}

TEST_CASE("ThresholdCrossed records the alert level per window - reset clears it") {
  auto s = registered({{Metric::requests, 60, 10}});
  apply(s, ev(kT0, ThresholdCrossed{"warning", Metric::requests, 60, 86}));
  CHECK(s.windows[0].alert_level == "warning");
  apply(s, ev(kT0 + 1, ThresholdCrossed{"recovered", Metric::requests, 60, 10}));
  CHECK(s.windows[0].alert_level.empty());
}

TEST_CASE("events with no meaning for the account leave it unchanged") {
  auto s = registered({{Metric::requests, 60, 10}});
  auto before = s;
  apply(s, ev(kT0 + 1, ReservationCommitted{"never-created", usage(1, 1, 1), false}));
  apply(s, ev(kT0 + 1, RouteSwitched{"m", "", "acc", "initial", {}}));
  apply(s, ev(kT0 + 1, UnknownEvent{"FutureThing", "{}"}));
  before.last_event_at = s.last_event_at;
  CHECK(s == before);
}

TEST_CASE("serves_model honours models and excluded patterns") {
  AccountSpec spec;
  CHECK(serves_model(spec, "anything"));
  spec.models = {"gpt-4o*"};
  CHECK(serves_model(spec, "gpt-4o-mini"));
  CHECK_FALSE(serves_model(spec, "claude-3"));
  spec.excluded_models = {"*-mini"};
  CHECK_FALSE(serves_model(spec, "gpt-4o-mini"));
  CHECK(serves_model(spec, "gpt-4o"));
}

TEST_CASE("estimate: one request, bytes/4 prompt tokens, max_tokens output") {
  CHECK(estimate_usage(400, 1024) == Usage{1, 100, 1024});
  CHECK(estimate_usage(1, 0) == Usage{1, 1, 0});
}

