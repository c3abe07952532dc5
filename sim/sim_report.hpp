// sim/sim_report.hpp — what `quotaguard simulate` reports: the recorded run and the simulated
// one, measured the same way (run_stats.hpp), and where their decisions differ.
#pragma once

#include "messages/event.hpp"
#include "quota/router_settings.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qg::sim {

// One quota window of one account over the replayed span.
struct WindowStats {
  std::string account;
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  std::int64_t limit = 0;              // the last known limit
  double peak_percent = 0;             // highest (used + reserved) / limit seen
  std::int64_t resets = 0;             // resets passed inside the span
  std::int64_t unused_at_reset = 0;    // sum over those resets of limit - used just before
};

// One point of an account's main-window utilisation (for --plot).
struct PlotPoint {
  TimeMs at = 0;
  float percent = 0;
};

struct AccountSeries {
  std::string account;
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  std::vector<PlotPoint> points;       // in time order
  std::vector<TimeMs> resets;          // when the main window reset
  std::vector<TimeMs> rate_limited;    // upstream 429s (CooldownStarted rate_limited)
};

// One run (recorded or simulated) over the span.
struct RunStats {
  std::int64_t requests = 0;           // requests routed (attempts of one request count once)
  std::int64_t served = 0;             // the router found an account
  std::int64_t refused = 0;            // 429 / 404 from the router: no account could take it
  std::int64_t fallback = 0;           // served by a fallback model
  std::int64_t switches = 0;           // route switches (RouteSwitched)
  std::int64_t flaps = 0;              // a switch back to the previous account within min_dwell
  std::vector<WindowStats> windows;    // by account, then window (metric, length)
  std::map<std::string, TimeMs> past_switch_ms;    // account -> time with a window at or past `switch`
  std::map<std::string, TimeMs> past_critical_ms;  // account -> time with a window past `critical`
  std::vector<TimeMs> refusals;        // when the router refused (for --plot)
  std::map<std::string, AccountSeries> series;     // account -> main window (with --plot)
};

// A request whose simulated outcome differs from the recorded one.
struct Divergence {
  std::uint64_t seq = 0;               // the recorded event of the request
  TimeMs at = 0;
  std::string request_id;
  std::string model;
  std::string recorded;                // account, or "refused"
  std::string simulated;
  std::string cause;                   // settings | state | not_in_log
  std::string detail;                  // the numbers behind it
};

struct SimReport {
  TimeMs from = 0, to = 0;             // the replayed span (first and last event inside it)
  std::uint64_t events = 0;            // events read
  RouterSettings recorded_settings;    // in force at the end of the span
  RouterSettings simulated_settings;
  bool settings_as_recorded = true;    // no flag changed the settings or limits
  RunStats recorded, simulated;
  std::int64_t divergences = 0;        // requests whose outcome differs
  std::map<std::string, std::int64_t> divergence_causes;
  std::vector<Divergence> first_divergences;  // the first kMaxListedDivergences
};

inline constexpr std::size_t kMaxListedDivergences = 20;

}  // namespace qg::sim
