// actors/router/route_decision.hpp — which account serves a request: the router's pure core.
//
// `decide` is a pure function of (view, sticky state, RouteRequest, settings, clock, runtime)
// and answers a RouteDecision, the ranked plan the router actor then reserves on:
//   1. Route key: the model, or model + "|" + client key when router.route_by_client_key; a
//      dialect other than chat appends "#<dialect>" (sticky choices are per dialect).
//   2. Models tried: the asked one, then its fallback chain in order — a fallback model is used
//      only when no account for the earlier ones qualifies. Past-critical accounts are drained
//      (all_critical: drain) only after the whole chain had no account below critical.
//   3. Per model, candidates: accounts serving it in the request's dialect, not excluded by the request, not disabled,
//      draining or in cooldown (one probe allowed when half-open), whose reservation fits every
//      window. Zones by percent used after this reservation: above `critical` is excluded while
//      any account stays at or below it; at or above `switch` is excluded while another is below
//      `switch - hysteresis`. So a switch-zone account is always preferred over a critical one.
//   4. Rank by the policy score (desc), then priority (desc), then id (asc): deterministic.
//   5. Anti-flapping: keep the route's sticky account while it is a candidate unless a voluntary
//      switch is allowed (min_dwell since it was chosen, cooldown_after_switch since the last
//      switch anywhere, and the best scores more than `hysteresis` points above it). If it is
//      not a candidate (cooldown, exhausted, drained, past a threshold, ...) the switch is forced
//      and immediate. round_robin rotates per route key and keeps no sticky choice.
// The output lists accounts to try in order (the caller reserves on the first; if that account
// refuses, it tries the next), the model used, the RouteSwitched to persist, and — when
// nothing qualifies — the error kind and the earliest known time something frees up.
#pragma once

#include "quota/account_summary.hpp"
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"
#include "messages/dialect.hpp"
#include "messages/route_request.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qg {

// round_robin's rotation memory is bounded: route keys come from client model names, so past
// this many keys note_admitted forgets the key admitted least recently (that route's next
// request starts again from the first account). Same bound as the sticky table (kMaxStickyRoutes).
inline constexpr std::size_t kMaxRoundRobinRoutes = 4096;

struct RoundRobinMark {
  std::string account;               // admitted last on this route key
  std::uint64_t tick = 0;            // RouterRuntime::round_robin_tick at that admission
};

// Router-owned memory that is not worth persisting.
struct RouterRuntime {
  std::map<std::string, RoundRobinMark> round_robin_last;  // route key -> last admission
  std::uint64_t round_robin_tick = 0;                        // admissions noted so far
};

struct DecideOptions {
  bool explain = false;              // fill RouteDecision::excluded and every candidate (slower)
  std::size_t max_targets = 4;       // accounts to try, chosen first
};

enum class RouteError { none, quota_exhausted, no_account_for_model };
const char* to_string(RouteError e);

struct ScoredCandidate {
  std::string account;
  std::string model;                 // the model this account would serve
  double score = 0;
  double used_percent_after = 0;     // most used window after this reservation
  std::string zone;                  // normal | switch | critical (drain)
  std::int64_t priority = 0;
  bool probe = false;                // half-open: this request is the probe
};

struct ExcludedAccount {
  std::string account;
  std::string model;
  std::string reason;                // a code from route_scoring.hpp `reason::`
  std::string detail;                // the numbers behind it
};

struct RouteDecision {
  std::string model_asked;
  std::string model_used;            // differs from model_asked after a fallback
  std::string route_key;
  RoutePolicy policy = RoutePolicy::balanced;
  bool fallback = false;
  bool drain = false;                // every account was past critical: least used drained
  std::vector<std::string> targets;  // accounts to try in order; targets[0] is the choice
  std::vector<ScoredCandidate> candidates;  // ranked; all with explain, else those in targets
  std::vector<ExcludedAccount> excluded;    // explain only
  std::optional<StickyRoute> sticky;        // the route's choice before this decision
  std::optional<RouteSwitched> switched;    // to persist when targets[0] is admitted
  bool forced = false;               // switched away from a sticky account that no longer qualifies
  RouteError error = RouteError::none;
  std::string message;               // one line for the client when nothing qualifies
  TimeMs retry_at = 0;               // earliest known time an account frees up (0 = unknown)

  bool ok() const { return error == RouteError::none && !targets.empty(); }
  const std::string& chosen() const;  // targets[0] (empty string when !ok())
};

// The route key of a request under `settings`.
std::string route_key_for(const RouteRequest& r, const RouterSettings& settings);

// The models to try for `model`: itself, then its fallback chain (looked up by exact name, then
// lower-cased with any leading "models/" stripped).
std::vector<std::string> models_to_try(const std::string& model, const RouterSettings& settings);

RouteDecision decide(const RouterView& view, const RouterState& state, const RouteRequest& request,
                const RouterSettings& settings, TimeMs now, const RouterRuntime& runtime = {},
                const DecideOptions& options = {});

// The RouteSwitched to persist once `account` (one of d.targets) admitted the reservation:
// d.switched when it is targets[0]; a forced switch ("refused") when an earlier target refused;
// nothing when `account` is already the sticky choice or the policy is round_robin.
std::optional<RouteSwitched> switch_for_admitted(const RouteDecision& d, const std::string& account);

// Records that `account` admitted the request (round_robin rotation; at most
// kMaxRoundRobinRoutes keys, the least recently admitted forgotten first).
void note_admitted(RouterRuntime& rt, const RouteDecision& d, const std::string& account);

// Whether the router has anything to do once `account` admitted the request: a switch to persist
// (switch_for_admitted) or a round_robin rotation (note_admitted). Without either, the admission
// is not sent to the router at all (one message a request less: issue 17, tenth pass).
bool admission_news(const RouteDecision& d, const std::string& account);

}  // namespace qg
