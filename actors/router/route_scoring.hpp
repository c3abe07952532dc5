// actors/router/route_scoring.hpp — per-account admissibility and policy scores.
//
// `evaluate` answers, for one account summary and one request estimate at `now`: may a
// reservation go there at all (else the exclusion reason code), and how full would its most
// used window be afterwards (percent used incl. reservations and this estimate). `policy_score`
// turns an admissible account into a number where higher is better; route_decision.cpp ranks
// by (score desc, priority desc, id asc). The formulas are documented in docs/ROUTING.md.
#pragma once

#include "quota/account_summary.hpp"
#include "quota/router_settings.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace qg {

// Why an account is not a candidate. The names (to_string) are the `reason` of explain's
// exclusions and of a forced RouteSwitched.
enum class Exclusion : std::uint8_t {
  none,
  not_serving_model,
  not_serving_dialect,  // serves the model, but not in the request's dialect (messages/dialect.hpp)
  excluded_by_request,
  disabled,
  draining,
  cooldown,
  probe_in_flight,
  exhausted,       // a window has nothing left
  window_full,     // this estimate does not fit a window
  above_critical,
  above_switch,
  removed,         // a sticky account that left the view
  not_served_here, // known from other nodes' events; no credential for it on this node
};
std::string_view to_string(Exclusion e);

// One account judged for one request (kept small: decide() fills one per account).
struct AccountEval {
  std::uint32_t index = 0;             // position in RouterView::accounts()
  Exclusion reason = Exclusion::none;  // admissibility (status, quota)
  Exclusion zone = Exclusion::none;    // above_critical / above_switch, set by the zone filter
  bool probe = false;                  // half-open: this request would be the probe
  std::int16_t binding = -1;           // most used window in summary.windows, -1 = no limits
  double after = 0;                    // that window's percent used after this reservation
  double score = 0;

  bool eligible() const { return reason == Exclusion::none && zone == Exclusion::none; }
  Exclusion why() const { return reason != Exclusion::none ? reason : zone; }
};

AccountEval evaluate(const AccountSummary& a, std::uint32_t index, const Usage& estimate,
                     TimeMs now, const BreakerSettings& breaker, bool excluded_by_request);

// Higher is better. balanced / max_remaining / earliest_reset / paced score in [0, 100] points;
// fill_first scores the priority; round_robin scores 0 (it rotates instead of ranking).
double policy_score(RoutePolicy policy, const AccountSummary& a, const AccountEval& e, TimeMs now);

// paced: of the account's windows with a limit, the smallest share of the limit left at the
// window's reset if the account keeps burning at its current pace (quota/burn_rate.hpp):
// 1 - (used + reserved + burn rate x time to reset) / limit; below 0 when it runs out first.
// 1 with no windows. paced_score = 50 x (1 + clamp(slack, -1, 1)): 100 for an idle, empty
// account, 50 for one that lands exactly on its limit at its reset.
double projected_slack(const AccountSummary& a, TimeMs now);
double paced_score(const AccountSummary& a, TimeMs now);

// Drain mode (every account past critical): the least used first.
inline double drain_score(const AccountEval& e) { return 100.0 - e.after; }

// When `a` could next take a reservation of `estimate` whose windows stay at or below
// `cap_percent` (cooldown end, resets of the blocking windows); 0 = unknown or never.
TimeMs ready_at(const AccountSummary& a, const Usage& estimate, TimeMs now, double cap_percent);

// One line saying why `e` is excluded, with the numbers (for explain); "" when eligible.
std::string exclusion_detail(const AccountSummary& a, const AccountEval& e, const Usage& estimate,
                             const RouterSettings& settings, TimeMs now);

}  // namespace qg
