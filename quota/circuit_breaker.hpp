// quota/circuit_breaker.hpp — per-account circuit breaker as pure state.
//
// The account actor keeps one BreakerState beside its AccountState and reports every
// upstream outcome (messages/upstream_outcome.hpp) to `on_outcome`, which returns the
// CooldownStarted / CooldownEnded event to persist (or nothing). The cooldown itself lives in AccountState (cooldown_until), so it
// survives restarts like every other state; `apply(BreakerState&, Event)` folds the same events,
// and AccountState keeps the failure count too (cooldown_failures), so `breaker_from` rebuilds
// the breaker after a restart with the backoff where it was.
//
//   closed ── N consecutive failures (5xx, timeout, connect error) ──> open (cooldown
//             base·2^k, capped; k = failures beyond N, so each failed probe doubles it)
//   any    ── 429 with a reset hint ──> open exactly until the hint ("rate_limited")
//   any    ── 401/403 ──> open for auth_cooldown, detail "re-login needed" ("auth")
//   open   ── cooldown_until passes ──> half-open: decide() lets exactly one request through
//             (the probe; `begin_probe` marks it, `probe_refusal` guards the account actor)
//   half-open ── success ──> closed, CooldownEnded{probe_ok}; failure ──> open again, longer
#pragma once

#include "quota/router_settings.hpp"
#include "messages/event.hpp"
#include "messages/upstream_outcome.hpp"

#include <optional>
#include <string>

namespace qg {

struct AccountState;


struct BreakerState {
  std::int64_t consecutive_failures = 0;
  TimeMs open_until = 0;             // mirrors AccountState::cooldown_until (0 = closed)
  bool probe_in_flight = false;
  TimeMs probe_started_at = 0;
  double error_rate = 0;             // exponentially weighted failure share, in [0, 1]
  bool operator==(const BreakerState&) const = default;
};

// Weight of the newest outcome in `error_rate` (about the last 10 outcomes matter).
inline constexpr double kErrorRateAlpha = 0.1;

// Half-open: a cooldown was set and has passed, but no outcome has closed it yet.
inline bool half_open(TimeMs cooldown_until, TimeMs now) {
  return cooldown_until != 0 && cooldown_until <= now;
}

// Records an outcome at `now`; returns the event to persist for this account, if any. Reads the
// kind, the HTTP status (for the cooldown detail) and, when rate limited, signals.cooldown_until
// (when the provider says to retry, absolute ms; 0 = no hint).
std::optional<EventPayload> on_outcome(BreakerState& b, const UpstreamOutcome& o, TimeMs now,
                                       const BreakerSettings& settings);

// Did an outcome change what the router sees of the breaker (account_summary: probe slot,
// cooldown, error rate)? The error rate counts only when it moved by kErrorRateViewStep or more:
// a run of successes moves it by ever smaller steps, and every reservation and commit sends the
// router the current value anyway. The account actor skips the router update otherwise.
inline constexpr double kErrorRateViewStep = 0.01;
bool breaker_view_changed(const BreakerState& before, const BreakerState& after);

// The router admitted a request to a half-open account: it is the probe.
void begin_probe(BreakerState& b, TimeMs now);

// Is the probe slot taken at `now`? (a probe with no outcome after probe_timeout frees it)
bool probe_blocking(bool probe_in_flight, TimeMs probe_started_at, TimeMs now,
                    const BreakerSettings& settings);

// For the account actor: why it must refuse a reservation because of the breaker ("" = ok):
// half-open with the probe slot taken.
std::string probe_refusal(const BreakerState& b, const AccountState& s, TimeMs now,
                          const BreakerSettings& settings);

// Folds CooldownStarted / CooldownEnded (replay and live); ignores other events.
void apply(BreakerState& b, const Event& e);

// The breaker an account actor starts with after a restart, rebuilt from the account's folded
// events: the cooldown (open_until) and the failure count that sets the next backoff, exactly
// as folding the same events with apply(BreakerState&) gives. The error rate and the probe
// slot are not events: they start fresh (0, free).
BreakerState breaker_from(const AccountState& s);

// The error cooldown length after `failures` consecutive failures (>= settings.failures).
TimeMs error_backoff_ms(std::int64_t failures, const BreakerSettings& settings);

}  // namespace qg
