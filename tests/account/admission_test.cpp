// The account's admission decision (quota/admission.hpp), without actors: breaker, event log
// (storage.on_error), quota, probe - in that order.
#include "quota/admission.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
constexpr TimeMs kT0 = 1'764'400'000'000;

AccountState account(std::int64_t request_limit) {
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 86400, request_limit}};
  AccountState s;
  apply(s, Event{0, kT0, "acc", AccountRegistered{spec}});
  return s;
}

ReservationCreated one_request(const std::string& id = "r1") {
  return ReservationCreated{id, "m", Usage{1, 10, 10}, kT0 + 600'000};
}
}  // namespace

TEST_CASE("admit: a healthy account with room admits and the caller waits for the commit") {
  const auto a = admit(account(10), BreakerState{}, nullptr, {}, one_request(), kT0 + 1);
  CHECK(a.verdict == Admission::Verdict::admit);
  CHECK_FALSE(a.probe);
  CHECK(a.wait_for_commit);
}

TEST_CASE("admit: over quota is a refusal naming why (the router tries the next account)") {
  auto s = account(1);
  apply(s, Event{0, kT0 + 1, "acc", one_request("r0")});
  const auto a = admit(s, BreakerState{}, nullptr, {}, one_request(), kT0 + 2);
  CHECK(a.verdict == Admission::Verdict::refuse);
  CHECK_FALSE(a.reason.empty());
}

TEST_CASE("admit: the event log is down - reject refuses, allow admits without waiting up to the bound") {
  JournalHealth journal;
  journal.failing("disk full", 3);
  AdmissionOptions reject;
  auto a = admit(account(10), BreakerState{}, &journal, reject, one_request(), kT0 + 1);
  CHECK(a.verdict == Admission::Verdict::journal_unavailable);
  CHECK(a.reason == "disk full");

  AdmissionOptions allow;
  allow.allow_unpersisted = true;
  allow.max_held_events = 4;
  a = admit(account(10), BreakerState{}, &journal, allow, one_request(), kT0 + 1);
  CHECK(a.verdict == Admission::Verdict::admit);
  CHECK_FALSE(a.wait_for_commit);

  journal.failing("disk full", 4);  // the bound reached: refuse even under allow
  a = admit(account(10), BreakerState{}, &journal, allow, one_request(), kT0 + 1);
  CHECK(a.verdict == Admission::Verdict::journal_unavailable);

  journal.recovered();
  a = admit(account(10), BreakerState{}, &journal, reject, one_request(), kT0 + 1);
  CHECK(a.verdict == Admission::Verdict::admit);
  CHECK(a.wait_for_commit);
}

TEST_CASE("admit: half-open - the first reservation is the probe, a second is refused while it runs") {
  auto s = account(10);
  apply(s, Event{0, kT0, "acc", CooldownStarted{kT0 + 10'000, "errors", "5 failures", 5}});
  BreakerState breaker = breaker_from(s);
  const TimeMs after = kT0 + 10'001;
  auto a = admit(s, breaker, nullptr, {}, one_request(), after);
  CHECK(a.verdict == Admission::Verdict::admit);
  CHECK(a.probe);
  begin_probe(breaker, after);  // what the actor shell does with a.probe
  a = admit(s, breaker, nullptr, {}, one_request("r2"), after + 1);
  CHECK(a.verdict == Admission::Verdict::refuse);
  CHECK(a.reason == "probe in flight");
}
