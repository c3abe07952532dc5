// bench/router/router_bench.cpp — latency of one route + reserve round trip, in process.
//
// One iteration is what the router and the chosen account do for a request, minus actor
// messaging: decide() over N accounts, admission_refusal() on the chosen account, apply() of
// the ReservationCreated, summarize() + view upsert of the changed account, and the
// RouteSwitched apply when the sticky choice changes. The commit of the reservation happens
// outside the timed section. Prints p50 / p90 / p99 / p99.9 / max in microseconds, by the wall
// clock and by the thread's CPU clock (which leaves out time the process was descheduled — on a
// shared, loaded machine the wall-clock tail is mostly other processes).
//
// Usage: router_bench [accounts=1000] [iterations=200000] [policy=balanced]
#include "quota/account_state.hpp"
#include "quota/account_summary.hpp"
#include "actors/router/route_decision.hpp"
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace qg;

namespace {

constexpr TimeMs kT0 = 1'796'083'200'000;  // 2026-12-01T00:00:00Z

struct World {
  std::map<std::string, AccountState> accounts;
  RouterState router;
  RouterRuntime runtime;
  RouterView view;
};

World make_world(int n, TimeMs now) {
  World w;
  for (int i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "acct-%04d", i);
    AccountSpec spec;
    spec.provider = "openai";
    spec.priority = i % 7;
    if (i % 2) spec.models = {"gpt-*", "o1*"};  // half serve any model, half a pattern list
    spec.limits = {LimitSpec{Metric::requests, 86'400, 1'000'000}, LimitSpec{Metric::tokens, 60, 50'000'000}};
    AccountState& s = w.accounts[id];
    apply(s, Event{0, now, id, AccountRegistered{spec}});
    // Spread the starting usage so scores differ.
    apply(s, Event{0, now, id, ReservationCreated{"seed", "gpt-4o", Usage{(i * 37) % 500'000, 0, 0}, now + 600'000}});
    apply(s, Event{0, now, id, ReservationCommitted{"seed", Usage{(i * 37) % 500'000, 0, 0}, false}});
    w.view.upsert(summarize(s, now));
  }
  return w;
}

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double percentile(std::vector<double>& v, double p) {
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void report(const char* what, std::vector<double> us) {
  const double max = *std::max_element(us.begin(), us.end());
  std::printf("%-34s p50 %7.2f  p90 %7.2f  p99 %7.2f  p99.9 %7.2f  max %8.2f us  (n=%zu)\n", what,
              percentile(us, 0.50), percentile(us, 0.90), percentile(us, 0.99), percentile(us, 0.999),
              max, us.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200'000;
  RouterSettings settings;
  if (argc > 3) {
    auto p = policy_from_string(argv[3]);
    if (!p) { std::fprintf(stderr, "unknown policy %s\n", argv[3]); return 2; }
    settings.policy = *p;
  }
  using clock = std::chrono::steady_clock;
  TimeMs now = kT0 + 3'600'000;
  World w = make_world(n, now);
  const RouteRequest req{"gpt-4o", "", Usage{1, 400, 600}, {}};

  std::vector<double> round_trip, decide_only, round_trip_cpu;
  round_trip.reserve(static_cast<std::size_t>(iterations));
  decide_only.reserve(static_cast<std::size_t>(iterations));
  round_trip_cpu.reserve(static_cast<std::size_t>(iterations));
  std::int64_t refused = 0, switches = 0;
  for (int i = 0; i < iterations + 1000; ++i) {  // the first 1,000 warm up
    now += 1;
    const double cpu0 = thread_cpu_us();
    const auto t0 = clock::now();
    RouteDecision d = decide(w.view, w.router, req, settings, now, w.runtime);
    const auto t1 = clock::now();
    std::string chosen, rid = "r" + std::to_string(i);
    for (const auto& id : d.targets) {
      AccountState& s = w.accounts.at(id);
      if (!admission_refusal(s, req.estimate, now).empty()) continue;
      apply(s, Event{0, now, id, ReservationCreated{rid, d.model_used, req.estimate, now + 600'000}});
      w.view.upsert(summarize(s, now));
      if (auto sw = switch_for_admitted(d, id)) {
        apply(w.router, Event{0, now, "", *sw});
        ++switches;
      }
      note_admitted(w.runtime, d, id);
      chosen = id;
      break;
    }
    const auto t2 = clock::now();
    const double cpu2 = thread_cpu_us();
    if (chosen.empty()) { ++refused; continue; }
    // Untimed: the upstream call finished; commit the usage.
    AccountState& s = w.accounts.at(chosen);
    apply(s, Event{0, now, chosen, ReservationCommitted{rid, req.estimate, false}});
    w.view.upsert(summarize(s, now));
    if (i >= 1000) {
      decide_only.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      round_trip.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
      round_trip_cpu.push_back(cpu2 - cpu0);
    }
  }
  std::printf("router_bench: %d accounts, %d iterations, policy %s, %lld refused, %lld switches\n", n,
              iterations, to_string(settings.policy), static_cast<long long>(refused),
              static_cast<long long>(switches));
  report("decide", decide_only);
  report("route + reserve round trip", round_trip);
  report("round trip, thread CPU time", round_trip_cpu);

  std::vector<double> explain;
  for (int i = 0; i < 2000; ++i) {
    const auto t0 = clock::now();
    RouteDecision d = decide(w.view, w.router, req, settings, now, w.runtime, DecideOptions{true, 4});
    explain.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
    if (d.candidates.empty()) return 1;
  }
  report("decide with explain (all listed)", explain);
  return 0;
}
