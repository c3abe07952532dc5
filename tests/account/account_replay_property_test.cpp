// Property test: random, seeded command sequences against several accounts. The state built
// live (validate -> event -> apply) must equal the state rebuilt by replaying the events,
// and equal a copy taken midway ("snapshot") plus the tail.
#include "quota/system_state.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace qg;

namespace {

struct Sim {
  std::mt19937_64 rng;
  TimeMs now = 1'764'400'000'000;
  SystemState live;
  std::vector<Event> log;
  std::vector<std::pair<std::string, std::string>> open;  // (account, reservation)
  int next_id = 0;

  explicit Sim(std::uint64_t seed) : rng(seed) {}

  std::int64_t pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  }
  void emit(const std::string& account, EventPayload p) {
    Event e{log.size() + 1, now, account, std::move(p)};
    apply(live, e);
    log.push_back(std::move(e));
  }
  void step() {
    now += pick(0, 20'000);
    const std::string acc = "acc" + std::to_string(pick(0, 3));
    switch (pick(0, 9)) {
      case 0: {
        AccountSpec spec;
        spec.provider = "openai";
        spec.limits = {{Metric::requests, 60, pick(1, 20)}, {Metric::tokens, 3600, pick(100, 5000)}};
        emit(acc, live.accounts.count(acc) ? EventPayload{AccountUpdated{spec}}
                                           : EventPayload{AccountRegistered{spec}});
        break;
      }
      case 1: case 2: case 3: {
        if (!live.accounts.count(acc)) break;
        Usage est{1, pick(0, 300), pick(0, 300)};
        if (!admission_refusal(live.accounts[acc], est, now).empty()) break;
        const std::string id = "r" + std::to_string(next_id++);
        emit(acc, ReservationCreated{id, "m", est, now + 600'000});
        open.emplace_back(acc, id);
        break;
      }
      case 4: case 5: case 6: {
        if (open.empty()) break;
        const auto idx = static_cast<size_t>(pick(0, static_cast<std::int64_t>(open.size()) - 1));
        auto [a, id] = open[idx];
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(idx));
        const auto kind = pick(0, 2);
        if (kind == 0) emit(a, ReservationCommitted{id, Usage{1, pick(0, 300), pick(0, 300)}, pick(0, 1) == 1});
        else if (kind == 1) emit(a, ReservationReleased{id, "failed"});
        else emit(a, ReservationExpired{id});
        break;
      }
      case 7:
        emit(acc, QuotaObserved{QuotaSource::headers,
                                {{Metric::requests, 60, pick(10, 100), pick(0, 10), now + pick(1, 60) * 1000}}});
        break;
      case 8:
        if (pick(0, 1)) emit(acc, CooldownStarted{now + pick(1000, 60'000), "errors", "5xx", 5});
        else emit(acc, CooldownEnded{"probe_ok"});
        break;
      case 9:
        emit("", RouteSwitched{"m", "", acc, "initial", {{acc, 0.5}}});
        break;
    }
  }
};

SystemState replay(const std::vector<Event>& log, size_t from, SystemState start = {}) {
  for (size_t i = from; i < log.size(); ++i) apply(start, log[i]);
  return start;
}

}  // namespace

TEST_CASE("live state == full replay == midway snapshot + tail (seeded random commands)") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    Sim sim(seed);
    SystemState snapshot;
    size_t snapshot_at = 0;
    for (int i = 0; i < 3000; ++i) {
      sim.step();
      if (i == 1500) { snapshot = sim.live; snapshot_at = sim.log.size(); }
    }
    const SystemState full = replay(sim.log, 0);
    CHECK(full == sim.live);
    CHECK(replay(sim.log, snapshot_at, snapshot) == sim.live);
    CHECK(full.last_seq == sim.log.size());
  }
}

TEST_CASE("reserved always equals the open reservations' estimates") {
  Sim sim(42);
  for (int i = 0; i < 5000; ++i) {
    sim.step();
    for (const auto& [id, acc] : sim.live.accounts) {
      for (const auto& w : acc.windows) {
        std::int64_t expected = 0;
        for (const auto& [rid, r] : acc.reservations) expected += r.estimate.amount(w.metric);
        REQUIRE(w.reserved == expected);
      }
    }
  }
}
