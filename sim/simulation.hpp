// sim/simulation.hpp — the what-if replay engine behind `quotaguard simulate` (docs/FORECAST.md §2).
//
// Two runs are folded side by side from the same recorded events, in seq order:
//   * recorded: the events as they are (the state the daemon had);
//   * simulated: the same accounts, quota signals and setting changes, but every recorded request
//     (ReservationCreated, RouteRefused) is routed again with the pure decide() under the simulated
//     settings and admitted with the pure admit() on the simulated state; its recorded outcome
//     (commit with the usage the upstream reported, release, expiry) is then applied to wherever the
//     simulation placed it. RouteSwitched events of the log are not applied: the simulation records
//     its own.
// Rules where the runs part ways (documented in docs/FORECAST.md §2):
//   * a quota observation moves a simulated window by what it moved the recorded one
//     (used_sim += observed - used_recorded), so other clients' use carries over;
//   * cooldowns (429s, errors, auth) are applied as recorded: they are the provider's signals;
//   * an upstream failure recorded for an attempt fails the simulated attempt too; the retry is
//     routed without the accounts that failed in the simulation; a retry of a request the
//     simulation refused is not made (that client got its 429);
//   * a request the recorded run refused and the simulation serves commits its estimate at once.
// Before `since` both runs are the recorded one; nothing is counted. Pure: no clock, no I/O.
#pragma once

#include "quota/router_settings.hpp"
#include "sim/sim_report.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qg::sim {

struct SimOptions {
  std::optional<RouterSettings> settings;  // --config: these router settings (else those in force)
  std::optional<RoutePolicy> policy;       // --policy
  std::optional<RouteThresholds> thresholds;  // --thresholds W,S,C
  std::optional<double> hysteresis;        // --hysteresis
  std::optional<TimeMs> min_dwell_ms;      // --min-dwell
  std::map<std::string, std::vector<LimitSpec>> limits;  // account -> limits replacing its configured ones
  TimeMs since = 0;                        // requests before this are not simulated (state only)
  TimeMs until = 0;                        // 0 = to the last event; later events are ignored
  bool series = false;                     // collect the --plot series
};

class Simulation {
 public:
  explicit Simulation(SimOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // The next recorded event (seq order). Events after `until` are ignored.
  void feed(const Event& e);
  // Rolls both runs to the end of the span and reports.
  SimReport finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The simulated settings: `in_force` with the options' overrides (pure; exposed for tests).
RouterSettings simulated_settings(const RouterSettings& in_force, const SimOptions& o);

}  // namespace qg::sim
