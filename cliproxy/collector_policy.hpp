// cliproxy/collector_policy.hpp — the pure decisions of the CLIProxyAPI quota collector.
//
// The collector actor (written by the lead) is a thin loop around these functions:
//   1. `list_auth_files()` on the ManagementClient; on error -> `decide_on_error`.
//   2. `plan_from_listing(entries, accounts, cooldowns, now)` -> cooldown events to write
//      (CLIProxyAPI's own `next_retry_after`, mirrored as CooldownStarted reason
//      upstream_cooldown, ended when CLIProxyAPI stops cooling) and one PollTarget per
//      discovered account that has a live-quota endpoint.
//   3. for each target: `api_call(target.request_json)` -> `decide_on_poll(...)` -> events
//      (QuotaObserved source poll) and whether to `reset_quota(auth_index)` (v7+: the poll
//      shows room but CLIProxyAPI still cools the auth — its stale-cooldown bug).
//   4. sleep `next_poll_delay(...)`: adaptive to activity and quota pressure, with jitter.
// Nothing here does I/O or reads the clock; randomness comes in as `jitter01`.
#pragma once

#include "cliproxy/management_client.hpp"
#include "cliproxy/quota_parsers.hpp"
#include "messages/event.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg::cliproxy {

// ---- interval ---------------------------------------------------------------------------
struct PollIntervalInput {
  TimeMs base_ms = 60000;                // cliproxy.poll_interval
  std::int64_t requests_since_last = 0;  // proxied through CLIProxyAPI accounts since last poll
  double max_used_percent = 0;           // highest poll window over the accounts (0..100)
  double jitter01 = 0.5;                 // uniform [0,1) from the caller's RNG
};
// base, halved under traffic, quartered near exhaustion (>= 80 %), doubled then quadrupled
// when idle with room; clamped to [max(10 s, base/4), min(15 min, base*4)]; then +-10 % jitter.
TimeMs next_poll_delay(const PollIntervalInput& in);

// ---- errors -----------------------------------------------------------------------------
enum class CollectorAction {
  retry_next_poll,      // transient (unreachable, 5xx): try again after the usual delay
  stop_and_alert,       // 401 / IP ban: stop polling until the key changes; alert once
  disable_with_warning, // 404: management API off on their side; warn once, stop
};
struct ErrorDecision {
  CollectorAction action = CollectorAction::retry_next_poll;
  std::string alert;            // one line for the log/Telegram (no secrets)
  TimeMs retry_in_ms = 0;       // for retry_next_poll: backoff after repeated failures
};
// `consecutive_failures` counts transient failures including this one.
ErrorDecision decide_on_error(const ManagementError& e, int consecutive_failures, TimeMs base_ms);

// ---- listing ----------------------------------------------------------------------------
struct PollTarget {
  std::string account_id;
  std::string auth_index;
  QuotaKind kind = QuotaKind::none;
  std::string project;          // Gemini project
  std::string request_json;     // body for ManagementClient::api_call
};

// Our current cooldown of an account (from AccountState), for reconciliation.
struct KnownCooldown {
  TimeMs until = 0;
  std::string reason;           // "upstream_cooldown" when it mirrors CLIProxyAPI
};

struct ListingPlan {
  std::vector<PollTarget> targets;
  std::vector<Event> events;                       // CooldownStarted / CooldownEnded
  std::map<std::string, ManagedAuthFile> entry_of; // account id -> its management entry
  std::vector<std::string> unmatched;              // management entries with no account
};

// `accounts`: id -> spec (only origin "cliproxy" and enabled ones are polled).
ListingPlan plan_from_listing(const std::vector<ManagedAuthFile>& entries,
                              const std::map<std::string, AccountSpec>& accounts,
                              const std::map<std::string, KnownCooldown>& cooldowns, TimeMs now);

// ---- one poll result --------------------------------------------------------------------
struct PollDecision {
  std::vector<Event> events;        // QuotaObserved (source poll) when the body parsed
  bool reset_quota = false;         // call reset_quota(entry.auth_index), then write after_reset
  std::vector<Event> after_reset;   // CooldownEnded for the mirrored upstream cooldown
  std::string note;                 // why nothing was recorded (for debug logs), no secrets
};
PollDecision decide_on_poll(const PollTarget& target, const ManagedAuthFile& entry,
                            const ApiCallResponse& response, const CpaVersion& version, TimeMs now);

}  // namespace qg::cliproxy
