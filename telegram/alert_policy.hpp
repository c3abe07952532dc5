// telegram/alert_policy.hpp — which events become Telegram alerts (pure).
//
// Alerts are driven by the event log: the alert loop reads the events after the last seq it
// handled and feeds them here, in seq order. `AlertState` is everything the policy remembers;
// it is saved in the settings table together with the cursor BEFORE the alerts are sent, so
// an alert goes out at most once even across restarts.
//
//   ThresholdCrossed warning|critical  -> one alert per (account, window, level). The account
//        state already emits each crossing once and re-arms only below warning - hysteresis
//        ("recovered"); the policy dedups again (replays, duplicates) and forgets an entry once
//        the window has had time to reset (window roll-over re-arms silently at the source).
//        A warning after an un-recovered critical is not news and is skipped.
//   ThresholdCrossed recovered         -> a recovery note, only if we had alerted that window.
//   CooldownStarted reason "auth"      -> "re-login needed", once per account until it ends.
//   CooldownEnded / AccountResumed after an auth alert -> "recovered".
//   all accounts exhausted              -> edge-triggered from the accounts view (see
//        `capacity_transition`), once until some account is usable again.
//   a model pool forecast to run dry within alerts.forecast_horizon -> edge-triggered from the
//        forecast (`forecast_transitions`): once per pool until the forecast no longer says so
//        within twice the horizon, then a "pool recovered" note.
// `AlertThrottle` caps the send rate; what it drops is counted and reported with the next
// alert that goes out.
#pragma once

#include "telegram/token_bucket.hpp"
#include "messages/event.hpp"
#include "messages/account_view.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace qg::telegram {

struct AlertState {
  std::uint64_t last_seq = 0;                   // events up to here are handled
  std::map<std::string, TimeMs> alerted;        // "account|metric|window_s|level" -> event ts
  std::set<std::string> auth_down;              // accounts with an open re-login alert
  bool all_exhausted = false;
  std::set<std::string> dry_pools;              // models alerted as running dry, not yet recovered
  bool operator==(const AlertState&) const = default;
};

std::string to_json_text(const AlertState& s);
// Malformed text -> nullopt (the caller starts fresh from the current journal seq).
std::optional<AlertState> alert_state_from_json_text(std::string_view text);

struct Alert {
  std::string html;
  std::string key;                              // what it is about, for logs and tests
};

// Updates `s` (including last_seq = e.seq) and returns the alerts `e` calls for.
std::vector<Alert> alerts_for_event(AlertState& s, const Event& e);

// Given Operations::accounts() JSON: an alert when the service just ran out of usable
// accounts (every enabled, non-drained account is exhausted or cooling down), or just got one
// back. Updates s.all_exhausted.
std::optional<Alert> capacity_transition(AlertState& s, const std::vector<AccountView>& accounts);

// Given a forecast: an alert for each pool newly forecast to run dry within `horizon_ms` of
// `f.at` (key "pool|<model>|dry"), and a recovery note for each alerted pool whose forecast no
// longer runs dry within 2 x horizon ("pool|<model>|recovered"). Updates s.dry_pools.
std::vector<Alert> forecast_transitions(AlertState& s, const ForecastView& f, TimeMs horizon_ms);

class AlertThrottle {
 public:
  explicit AlertThrottle(BucketConfig cfg, TimeMs now) : bucket_(cfg, now) {}
  // The alerts allowed now; dropped ones are counted and mentioned in the next allowed one.
  std::vector<Alert> admit(std::vector<Alert> alerts, TimeMs now);
  std::int64_t dropped_total() const { return dropped_total_; }

 private:
  TokenBucket bucket_;
  std::int64_t dropped_pending_ = 0;
  std::int64_t dropped_total_ = 0;
};

}  // namespace qg::telegram
