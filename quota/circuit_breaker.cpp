// quota/circuit_breaker.cpp — breaker transitions and their events.
#include "quota/circuit_breaker.hpp"

#include "quota/account_state.hpp"

#include <algorithm>
#include <cmath>

namespace qg {

TimeMs error_backoff_ms(std::int64_t failures, const BreakerSettings& settings) {
  const std::int64_t k = std::clamp<std::int64_t>(failures - settings.failures, 0, 40);
  TimeMs d = settings.base_ms;
  for (std::int64_t i = 0; i < k && d < settings.cap_ms; ++i) d *= 2;
  return std::min(d, settings.cap_ms);
}

namespace {

std::string seconds_text(TimeMs ms) { return std::to_string((std::max<TimeMs>(ms, 0) + 999) / 1000) + "s"; }

std::string failure_detail(const UpstreamOutcome& o, std::int64_t failures) {
  std::string what = to_string(o.kind);
  if (o.http_status > 0) what += " " + std::to_string(o.http_status);
  return std::to_string(failures) + " consecutive failures, last: " + what;
}

// Opens the breaker until `until` (only ever extends an open breaker).
std::optional<EventPayload> open(BreakerState& b, TimeMs until, std::string reason,
                                 std::string detail, std::int64_t failures) {
  if (b.open_until != 0 && until <= b.open_until) return std::nullopt;
  b.open_until = until;
  b.probe_in_flight = false;
  b.probe_started_at = 0;
  return CooldownStarted{until, std::move(reason), std::move(detail), failures};
}

}  // namespace

bool breaker_view_changed(const BreakerState& before, const BreakerState& after) {
  if (before.probe_in_flight != after.probe_in_flight || before.probe_started_at != after.probe_started_at ||
      before.open_until != after.open_until || before.consecutive_failures != after.consecutive_failures)
    return true;
  return std::abs(after.error_rate - before.error_rate) >= kErrorRateViewStep;
}

std::optional<EventPayload> on_outcome(BreakerState& b, const UpstreamOutcome& o, TimeMs now,
                                       const BreakerSettings& settings) {
  // The client left, or this process ran out of descriptors: says nothing about the account.
  if (o.kind == OutcomeKind::cancelled || o.kind == OutcomeKind::local_exhausted) {
    b.probe_in_flight = false;
    b.probe_started_at = 0;
    return std::nullopt;
  }
  // A client error (400, 404, ...) still proves the account answers: a success for the breaker.
  const OutcomeKind kind = o.kind == OutcomeKind::client_error ? OutcomeKind::success : o.kind;
  const bool success = kind == OutcomeKind::success;
  b.error_rate = (1 - kErrorRateAlpha) * b.error_rate + kErrorRateAlpha * (success ? 0.0 : 1.0);
  const bool open_now = b.open_until > now;      // outcome of a request sent before the cooldown
  const bool probing = half_open(b.open_until, now);

  switch (kind) {
    case OutcomeKind::success:
      b.consecutive_failures = 0;
      if (!probing) return std::nullopt;
      b.open_until = 0;
      b.probe_in_flight = false;
      b.probe_started_at = 0;
      return CooldownEnded{"probe_ok"};
    case OutcomeKind::rate_limited: {
      const TimeMs retry_at = o.signals.cooldown_until;
      if (retry_at > now)
        return open(b, retry_at, "rate_limited", "429 Retry-After " + seconds_text(retry_at - now), 0);
      return open(b, now + settings.base_ms, "rate_limited", "429 without a reset hint", 0);
    }
    case OutcomeKind::auth_error: {
      const std::string code = o.http_status > 0 ? std::to_string(o.http_status) : std::string("401");
      return open(b, now + settings.auth_cooldown_ms, "auth", code + ": re-login needed", 0);
    }
    case OutcomeKind::server_error:
    case OutcomeKind::timeout:
    case OutcomeKind::connect_error:
      if (open_now) return std::nullopt;         // late news from before the cooldown
      ++b.consecutive_failures;
      if (probing) {
        // The probe failed: open again, one step longer than the last error cooldown.
        b.consecutive_failures = std::max(b.consecutive_failures, settings.failures + 1);
      } else if (b.consecutive_failures < settings.failures) {
        return std::nullopt;
      }
      return open(b, now + error_backoff_ms(b.consecutive_failures, settings), "errors",
                  failure_detail(o, b.consecutive_failures), b.consecutive_failures);
    case OutcomeKind::client_error:
    case OutcomeKind::cancelled:
    case OutcomeKind::local_exhausted:
      break;  // handled above
  }
  return std::nullopt;
}

void begin_probe(BreakerState& b, TimeMs now) {
  b.probe_in_flight = true;
  b.probe_started_at = now;
}

bool probe_blocking(bool probe_in_flight, TimeMs probe_started_at, TimeMs now,
                    const BreakerSettings& settings) {
  return probe_in_flight && now - probe_started_at < settings.probe_timeout_ms;
}

std::string probe_refusal(const BreakerState& b, const AccountState& s, TimeMs now,
                          const BreakerSettings& settings) {
  if (half_open(s.cooldown_until, now) &&
      probe_blocking(b.probe_in_flight, b.probe_started_at, now, settings))
    return "probe in flight";
  return {};
}

BreakerState breaker_from(const AccountState& s) {
  BreakerState b;
  b.open_until = s.cooldown_until;
  b.consecutive_failures = s.cooldown_failures;
  return b;
}

void apply(BreakerState& b, const Event& e) {
  if (const auto* started = std::get_if<CooldownStarted>(&e.payload)) {
    b.open_until = started->until;
    if (started->reason == "errors") b.consecutive_failures = started->failures;
    b.probe_in_flight = false;
    b.probe_started_at = 0;
  } else if (std::holds_alternative<CooldownEnded>(e.payload)) {
    b.open_until = 0;
    b.consecutive_failures = 0;
    b.probe_in_flight = false;
    b.probe_started_at = 0;
  }
}

}  // namespace qg
