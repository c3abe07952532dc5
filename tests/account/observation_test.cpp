// Unit tests of the pure "is this observation news?" decision (quota/account_state.hpp,
// issue 17): passive header observations that repeat the account's view are noops.
#include "quota/account_state.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
constexpr TimeMs kT0 = 1'764'400'000'000;

Event ev(TimeMs ts, EventPayload p) { return Event{0, ts, "acc", std::move(p)}; }

AccountState observed_account(const QuotaObserved& first, TimeMs at = kT0) {
  AccountSpec spec;
  spec.provider = "openai";
  AccountState s;
  apply(s, ev(at - 1, AccountRegistered{spec}));
  apply(s, ev(at, first));
  return s;
}

QuotaObserved headers(std::int64_t limit, std::int64_t used, TimeMs reset_at, std::int64_t window_s = 0) {
  return QuotaObserved{QuotaSource::headers, {{Metric::requests, window_s, limit, used, reset_at}}};
}

void commit_one(AccountState& s, const std::string& id, TimeMs at) {
  apply(s, ev(at, ReservationCreated{id, "m", Usage{1, 0, 0}, at + 60'000}));
  apply(s, ev(at, ReservationCommitted{id, Usage{1, 0, 0}, false}));
}
}  // namespace

TEST_CASE("an observation that repeats the view is no news, and validate makes it a noop") {
  auto s = observed_account(headers(5000, 100, kT0 + 30'000));
  const auto same = headers(5000, 100, kT0 + 30'000);
  CHECK_FALSE(observation_is_news(s, same, kT0 + 10));
  CHECK(validate(s, same, kT0 + 10).verdict == Verdict::noop);
  // Polled and operator observations are always written.
  QuotaObserved polled = same;
  polled.source = QuotaSource::poll;
  CHECK(validate(s, polled, kT0 + 10).verdict == Verdict::accept);
}

TEST_CASE("a window not held yet, another limit or another metric is news") {
  auto s = observed_account(headers(5000, 100, kT0 + 30'000));
  CHECK(observation_is_news(s, headers(6000, 100, kT0 + 30'000), kT0 + 10));
  CHECK(observation_is_news(s, headers(5000, 100, kT0 + 30'000, 60), kT0 + 10));  // another length
  QuotaObserved tokens{QuotaSource::headers, {{Metric::tokens, 0, 160000, 1000, kT0 + 30'000}}};
  CHECK(observation_is_news(s, tokens, kT0 + 10));
  CHECK(validate(s, tokens, kT0 + 10).verdict == Verdict::accept);
}

TEST_CASE("used within 1 percent of the limit is no news, beyond it is") {
  auto s = observed_account(headers(5000, 100, kT0 + 30'000));
  CHECK_FALSE(observation_is_news(s, headers(5000, 150, kT0 + 30'000), kT0 + 10));   // 50 = 1 %
  CHECK(observation_is_news(s, headers(5000, 151, kT0 + 30'000), kT0 + 10));
  CHECK(observation_is_news(s, headers(5000, 49, kT0 + 30'000), kT0 + 10));
  // Commits since the observation count in the view: the provider's next numbers agree.
  for (int i = 0; i < 60; ++i) commit_one(s, "r" + std::to_string(i), kT0 + 1 + i);
  CHECK(s.windows[0].used == 160);
  CHECK_FALSE(observation_is_news(s, headers(5000, 160, kT0 + 30'000), kT0 + 100));
  CHECK(observation_is_news(s, headers(5000, 100, kT0 + 30'000), kT0 + 100));  // the view drifted 60
  // Unknown limit: used must match exactly.
  auto open = observed_account(headers(0, 7, 0));
  CHECK_FALSE(observation_is_news(open, headers(0, 7, 0), kT0 + 10));
  CHECK(observation_is_news(open, headers(0, 8, 0), kT0 + 10));
}

TEST_CASE("a reset moved by more than the slack, or known on one side only, is news") {
  auto s = observed_account(headers(5000, 100, kT0 + 30'000));
  CHECK_FALSE(observation_is_news(s, headers(5000, 100, kT0 + 30'000 + kObservationResetSlackMs), kT0 + 10));
  CHECK(observation_is_news(s, headers(5000, 100, kT0 + 30'001 + kObservationResetSlackMs), kT0 + 10));
  CHECK(observation_is_news(s, headers(5000, 100, 0), kT0 + 10));
  CHECK(observation_is_news(s, headers(5000, 100, -9'000'000'000'000'000'000LL), kT0 + 10));  // no overflow
}

TEST_CASE("after the provider's reset passed the view is an estimate: the next observation is news") {
  auto s = observed_account(headers(5000, 100, kT0 + 30'000));
  const auto after_reset = headers(5000, 0, 0);
  // At kT0 + 31 s the window restarted from zero (estimated, reset unknown): same numbers,
  // yet news, because the provider confirms what was only our estimate.
  CHECK(observation_is_news(s, after_reset, kT0 + 31'000));
}

TEST_CASE("the same numbers become news again once the refresh interval passed") {
  auto s = observed_account(headers(5000, 100, kT0 + 3'600'000));
  const auto same = headers(5000, 100, kT0 + 3'600'000);
  CHECK_FALSE(observation_is_news(s, same, kT0 + kObservationRefreshMs - 1));
  CHECK(observation_is_news(s, same, kT0 + kObservationRefreshMs));
  apply(s, ev(kT0 + kObservationRefreshMs, same));
  CHECK_FALSE(observation_is_news(s, same, kT0 + kObservationRefreshMs + 1));
}

TEST_CASE("one changed window among repeated ones makes the whole observation news") {
  QuotaObserved both{QuotaSource::headers,
                     {{Metric::requests, 0, 5000, 100, kT0 + 30'000}, {Metric::tokens, 0, 160000, 1000, kT0 + 30'000}}};
  auto s = observed_account(both);
  CHECK_FALSE(observation_is_news(s, both, kT0 + 10));
  both.windows[1].used = 9000;
  CHECK(observation_is_news(s, both, kT0 + 10));
}
