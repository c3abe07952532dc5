// sim/run_stats.hpp — measures one run (the recorded one or the simulated one) event by event.
//
// The simulation calls, for every event that changes an account of this run, `advance` before
// (it rolls the account's windows forward reset by reset, so each reset is counted with the
// quota it left unused, and the time spent past `switch` / `critical` is integrated piecewise)
// and `sample` after (peak utilisation, the plot series). Outcomes of requests and route
// switches are told as they happen. `finish` rolls every account to the end of the span.
#pragma once

#include "quota/account_state.hpp"
#include "quota/router_settings.hpp"
#include "sim/sim_report.hpp"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace qg::sim {

enum class RunOutcome : std::uint8_t { none, served, fallback, refused };

class RunTracker {
 public:
  explicit RunTracker(bool series) : series_(series) {}

  // Counting starts: every account's level is taken as it is at `at`.
  void start(std::map<std::string, AccountState>& accounts, TimeMs at, const RouteThresholds& t);
  bool started() const { return started_; }

  void advance(AccountState& s, TimeMs ts, const RouteThresholds& t);
  void sample(const AccountState& s, TimeMs ts);

  // One attempt of a request; `previous` is what an earlier attempt of the same request
  // counted (none for a first attempt): a retry replaces it.
  void outcome(TimeMs at, RunOutcome now, RunOutcome previous);
  void switched(const RouteSwitched& sw, TimeMs at, TimeMs min_dwell_ms);
  void rate_limited(const std::string& account, TimeMs at);

  RunStats finish(std::map<std::string, AccountState>& accounts, TimeMs end, const RouteThresholds& t);

 private:
  struct WindowTrack {
    Metric metric = Metric::requests;
    std::int64_t window_s = 0;
    WindowOrigin origin = WindowOrigin::config;
    WindowStats stats;
  };
  struct AccountTrack {
    TimeMs at = 0;             // integrated up to here
    double percent = 0;        // the account's highest window since `at`
    std::vector<WindowTrack> windows;
    TimeMs past_switch = 0, past_critical = 0;
  };
  struct LastSwitch {
    std::string from, to;
    TimeMs at = 0;
  };

  AccountTrack& track(const std::string& id);
  WindowTrack& window(AccountTrack& a, const std::string& id, const QuotaWindow& w);
  void integrate(AccountTrack& a, TimeMs to, const RouteThresholds& t);
  void plot(const std::string& id, const AccountState& s, TimeMs at, bool reset);

  bool series_ = false;
  bool started_ = false;
  std::unordered_map<std::string, AccountTrack> accounts_;
  std::unordered_map<std::string, LastSwitch> last_switch_;  // route key ->
  RunStats stats_;
};

}  // namespace qg::sim
