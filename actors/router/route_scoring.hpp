// actors/router/route_scoring.hpp — per-account admissibility and policy scores.
//
// `evaluate` answers, for one account summary and one request estimate at `now`: may a
// reservation go there at all (else the exclusion reason code), and how full would its most
// used window be afterwards (percent used incl. reservations and this estimate). `policy_score`
// turns an admissible account into a number where higher is better; route_decision.cpp ranks
// by (score desc, priority desc, id asc). The formulas are documented in docs/ROUTING.md.
#pragma once

#include "actors/router/account_summary.hpp"
#include "actors/router/router_settings.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace qg {

// Exclusion reason codes (also the RouteSwitched reason of a forced switch away from it).
namespace reason {
inline constexpr std::string_view not_serving_model = "not_serving_model";
inline constexpr std::string_view excluded_by_request = "excluded_by_request";
inline constexpr std::string_view disabled = "disabled";
inline constexpr std::string_view draining = "draining";
inline constexpr std::string_view cooldown = "cooldown";
inline constexpr std::string_view probe_in_flight = "probe_in_flight";
inline constexpr std::string_view exhausted = "exhausted";        // a window has nothing left
inline constexpr std::string_view window_full = "window_full";    // this estimate does not fit
inline constexpr std::string_view above_critical = "above_critical";
inline constexpr std::string_view above_switch = "above_switch";
inline constexpr std::string_view removed = "removed";            // sticky account left the view
}  // namespace reason

struct AccountEval {
  std::uint32_t index = 0;         // position in RouterView::accounts()
  std::string_view reason;         // "" = admissible (before the threshold zones are applied)
  std::string_view zone_reason;    // above_critical / above_switch, set by the zone filter
  double after = 0;                // max used % over windows with a limit after this reservation
  int binding = -1;                // index of that window in summary.windows, -1 = no limits
  bool probe = false;              // half-open: this request would be the probe
  double score = 0;

  bool eligible() const { return reason.empty() && zone_reason.empty(); }
};

AccountEval evaluate(const AccountSummary& a, std::uint32_t index, const Usage& estimate,
                     TimeMs now, const BreakerSettings& breaker, bool excluded_by_request);

// Higher is better. balanced / max_remaining / earliest_reset score in [0, 100] points;
// fill_first scores the priority; round_robin scores 0 (it rotates instead of ranking).
double policy_score(RoutePolicy policy, const AccountSummary& a, const AccountEval& e, TimeMs now);

// Drain mode (every account past critical): the least used first.
inline double drain_score(const AccountEval& e) { return 100.0 - e.after; }

// When `a` could next take a reservation of `estimate` whose windows stay at or below
// `cap_percent` (cooldown end, resets of the blocking windows); 0 = unknown or never.
TimeMs ready_at(const AccountSummary& a, const Usage& estimate, TimeMs now, double cap_percent);

// One line saying why `e` is excluded, with the numbers (for explain); "" when eligible.
std::string exclusion_detail(const AccountSummary& a, const AccountEval& e, const Usage& estimate,
                             const RouterSettings& settings, TimeMs now);

}  // namespace qg
