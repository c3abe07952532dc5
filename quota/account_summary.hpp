// quota/account_summary.hpp — the router's compact view of every account.
//
// Account actors own AccountState; the router only needs a small summary of each (status
// inputs, windows, priority, which models it serves, breaker health). `summarize` builds one
// from an AccountState (and the account's BreakerState, when known); `RouterView` holds them
// sorted by id, with a cache of "which accounts serve model M" so a decision over 1,000
// accounts does not glob-match every account's model list per request.
// Pure and single-threaded: a RouterView belongs to one actor (its cache is not locked).
#pragma once

#include "messages/dialect.hpp"
#include "quota/account_state.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qg {

struct BreakerState;

struct WindowSummary {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  std::int64_t limit = 0;          // 0 = unknown: never blocks
  std::int64_t used = 0;
  std::int64_t reserved = 0;
  TimeMs reset_at = 0;             // 0 = unknown
  QuotaSource source = QuotaSource::config;
  // 100 / limit and 1 / length in ms, so routing over many accounts multiplies instead of
  // dividing (0 when unknown). Set by `of`.
  double percent_per_unit = 0;
  double per_length_ms = 0;
  // The account's burn rate of this window's metric (units per ms, quota/burn_rate.hpp) as of
  // the summary's time: what the `paced` policy projects to the reset with.
  double burn_per_ms = 0;
  bool operator==(const WindowSummary&) const = default;

  static WindowSummary of(const QuotaWindow& w);

  // Used units at `now`: 0 once the reset time has passed (the window rolled over).
  std::int64_t used_at(TimeMs now) const { return reset_at > 0 && now >= reset_at ? 0 : used; }
  std::int64_t remaining_at(TimeMs now) const;
  double used_percent_at(TimeMs now) const;  // (used + reserved) / limit * 100; 0 when unknown
};

struct AccountSummary {
  // Fields decide() reads for every account come first (one cache line), display fields after.
  bool disabled = false;                         // spec.enabled false or removed
  bool drained = false;
  // Known here only from other nodes' events (shared logs): accounted for, never routed to —
  // this node holds no credential for it (quota/served_here.hpp). Set by the account actor.
  bool remote = false;
  bool probe_in_flight = false;                  // half-open probe sent, outcome unknown
  DialectSet dialects = kAllDialects;            // API dialects its provider serves
  AccountStatus status = AccountStatus::active;  // as of `summarized_at` (for display)
  std::int64_t priority = 0;
  TimeMs cooldown_until = 0;                     // != 0 and <= now: half-open (probe allowed)
  TimeMs probe_started_at = 0;
  double error_rate = 0;                         // recent failure share in [0, 1] (breaker)
  std::vector<WindowSummary> windows;            // windows with a known limit come first
  std::string id;
  std::vector<std::string> models;               // empty = any model
  std::vector<std::string> excluded_models;
  std::string prefix;                            // CLIProxyAPI pin prefix ("" = unpinned)
  double max_used_percent = 0;                   // including reservations
  TimeMs earliest_reset = 0;                     // soonest reset of a window with a limit
  std::string cooldown_reason;
  std::string cooldown_detail;
  TimeMs summarized_at = 0;
  bool operator==(const AccountSummary&) const = default;

  bool serves(std::string_view model) const;
};

// The summary of `s` at `now` (windows rolled to `now`). `breaker` adds error rate and probe.
AccountSummary summarize(const AccountState& s, TimeMs now, const BreakerState* breaker = nullptr);

class RouterView {
 public:
  // Inserts or replaces the summary with the same id.
  void upsert(AccountSummary s);
  bool erase(std::string_view id);
  const AccountSummary* find(std::string_view id) const;
  // Position of `id` in accounts(), or -1.
  std::int64_t index_of(std::string_view id) const;
  const std::vector<AccountSummary>& accounts() const { return accounts_; }  // sorted by id
  std::size_t size() const { return accounts_.size(); }
  // Indexes into accounts() of the accounts whose model lists admit `model` (ascending).
  const std::vector<std::uint32_t>& serving(const std::string& model) const;

 private:
  std::vector<AccountSummary> accounts_;
  mutable std::unordered_map<std::string, std::vector<std::uint32_t>> serving_cache_;
};

// A view of every account in `accounts` (removed ones included: they show as disabled).
RouterView make_view(const std::map<std::string, AccountState>& accounts, TimeMs now);

}  // namespace qg
