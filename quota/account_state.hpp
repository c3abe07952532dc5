// quota/account_state.hpp — the pure state of one provider account.
//
// An account's state is a fold of its events: `apply(state, event)` is the only way it
// changes, and the same function runs live (in the account actor) and in replay, so the two
// cannot drift. Everything here is pure: no clock, no I/O, no actors. Time comes in through
// the event timestamp or an explicit `now` argument.
//
// Quota windows
//   A window counts one metric over a length of time and has a limit. Windows come from
//   config (`accounts[].limits`, origin=config) or from observations (provider headers, 429
//   bodies, polls, admin ingest; origin=observed). Both kinds are enforced side by side.
//   Config windows are fixed windows aligned to multiples of their length since the Unix
//   epoch (a 1d window resets at 00:00 UTC). Observed windows reset at the time the provider
//   reported; when that passes with no new observation the window restarts from zero and
//   its numbers become `estimated` until the next observation.
//   `used` is what the window has consumed (an observation replaces it; usage committed after
//   the observation adds on top until the next observation covers it). `reserved` is the sum
//   of the open reservations' estimates for the window's metric.
#pragma once

#include "messages/event.hpp"
#include "messages/token_estimate.hpp"  // estimate_usage
#include "quota/burn_rate.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg {

enum class AccountStatus { active, draining, cooldown, disabled, exhausted };
const char* to_string(AccountStatus s);

enum class WindowOrigin { config, observed };

struct QuotaWindow {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  WindowOrigin origin = WindowOrigin::config;
  std::int64_t limit = 0;          // 0 = unknown: never blocks admission
  std::int64_t used = 0;
  std::int64_t reserved = 0;
  TimeMs reset_at = 0;             // next reset; 0 = unknown
  QuotaSource source = QuotaSource::config;
  TimeMs observed_at = 0;          // last observation (observed windows)
  std::string alert_level;         // "" | warning | critical — last ThresholdCrossed level
  bool operator==(const QuotaWindow&) const = default;

  std::int64_t remaining() const;  // max(0, limit - used - reserved); limit 0 -> INT64_MAX
  double used_percent() const;     // (used + reserved) / limit * 100, 0 when limit unknown
};

// One open reservation in the account's ledger.
struct Reservation {
  std::string id;
  std::string model;
  Usage estimate;
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
  std::string node = {};  // the node that reserved it (Event::node; "" on SQLite): who may expire it
  bool operator==(const Reservation&) const = default;
};

struct AccountCounters {
  std::int64_t created = 0, committed = 0, released = 0, expired = 0;
  Usage committed_usage;           // total usage committed over the account's life
  bool operator==(const AccountCounters&) const = default;
};

struct AccountState {
  std::string id;
  AccountSpec spec;
  // The node whose AccountRegistered the spec came from (its Event::node, the row's `node`; ""
  // on SQLite). On a shared log only that node's config sync updates or removes the account
  // (quota/config_sync.hpp); AccountUpdated keeps it, a new AccountRegistered replaces it.
  std::string registered_by;
  bool removed = false;
  bool drained = false;
  TimeMs cooldown_until = 0;
  std::string cooldown_reason;
  std::string cooldown_detail;
  std::int64_t cooldown_failures = 0;  // consecutive failures behind an "errors" cooldown (breaker backoff)
  std::vector<QuotaWindow> windows;                 // config windows first, then observed
  std::map<std::string, Reservation> reservations;  // the open reservations (ledger)
  AccountCounters counters;
  BurnRates burn;                                   // EWMA of committed usage (quota/burn_rate.hpp)
  TimeMs last_event_at = 0;
  bool operator==(const AccountState&) const = default;
};

// Apply one event that concerns this account. Rolls windows forward to `e.ts` first.
// Events that do not make sense for the state (resolving an unknown reservation, ...) leave
// it unchanged: validation happens before an event is written (see `validate_*` below), and
// `replay --verify` reports such events by seq.
void apply(AccountState& s, const Event& e);

// Reset windows whose reset time is at or before `now` (pure; apply calls it).
void roll_windows(AccountState& s, TimeMs now);
void roll_window(QuotaWindow& w, TimeMs now);

// Status at `now`: disabled (spec.enabled false or removed) > draining > cooldown >
// exhausted (a window with a known limit has nothing left) > active.
AccountStatus status_at(const AccountState& s, TimeMs now);

// Highest used percent over the windows (used + reserved against limit), 0 with no limits.
double max_used_percent(const AccountState& s);

// Does this account serve `model`? (spec.models empty = any; excluded_models patterns with *)
bool serves_model(const AccountSpec& spec, std::string_view model);

// Command validation (pure): why a reservation of `estimate` cannot be admitted at `now`, or
// "" when it can. Admits only if every window with a known limit keeps
// used + reserved + estimate <= limit (after rolling windows to `now`).
std::string admission_refusal(const AccountState& s, const Usage& estimate, TimeMs now);

// Command validation for any proposed event: accept (write it), noop (already so: write
// nothing, report success) or reject (write nothing, report `reason`). Reservation
// resolutions must name an open reservation, so a second resolution is rejected and can
// never be counted twice; ReservationCreated must pass admission_refusal. A QuotaObserved
// that would give the account more than kMaxObservedWindows observed windows is rejected: each
// distinct (metric, length) a client ingests would otherwise be kept forever (issue 15 item 9).
inline constexpr std::size_t kMaxObservedWindows = 32;
// How many observed windows `s` would hold once `q` is applied (counting stops past the bound).
std::size_t observed_windows_after(const AccountState& s, const QuotaObserved& q);
// Passive observations (QuotaSource::headers: every upstream response carries rate-limit
// headers) are written only when they tell the account something its view at `now` does not
// already say (validate answers noop otherwise): a window it does not hold yet, another limit
// or source (the view's numbers became estimates when a reset passed), `used` off by more
// than 1 % of the limit (exactly, when the limit is unknown), a reset time moved by more than
// kObservationResetSlackMs, or the window's last observation kObservationRefreshMs old. So the
// view never drifts further than that from what the provider last said, and a provider
// repeating itself writes at most one QuotaObserved per refresh interval.
inline constexpr TimeMs kObservationRefreshMs = 60'000;
inline constexpr TimeMs kObservationResetSlackMs = 1'000;
bool observation_is_news(const AccountState& s, const QuotaObserved& q, TimeMs now);
enum class Verdict { accept, noop, reject };
struct Validation {
  Verdict verdict = Verdict::accept;
  std::string reason;
};
Validation validate(const AccountState& s, const EventPayload& proposed, TimeMs now);

// Earliest time at which some full window resets (for Retry-After), 0 if unknown.
TimeMs earliest_reset(const AccountState& s, TimeMs now);

}  // namespace qg
