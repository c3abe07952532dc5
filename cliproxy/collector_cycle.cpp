// cliproxy/collector_cycle.cpp — see collector_cycle.hpp.
#include "cliproxy/collector_cycle.hpp"

#include <algorithm>

namespace qg::cliproxy {
namespace {

// Applies an error decision to the result; true when the cycle must end.
bool handle_error(const ManagementError& e, CollectorState& state, TimeMs base_ms, CycleResult& r) {
  bool fatal = e.kind == ManagementErrorKind::unauthorized || e.kind == ManagementErrorKind::banned ||
               e.kind == ManagementErrorKind::disabled;
  if (!fatal) ++state.consecutive_failures;
  ErrorDecision d = decide_on_error(e, fatal ? 1 : state.consecutive_failures, base_ms);
  r.action = d.action;
  r.alert = d.alert;
  r.retry_in_ms = d.retry_in_ms;
  r.stop = d.action != CollectorAction::retry_next_poll;
  return true;
}

}  // namespace

CycleResult run_collector_cycle(ManagementClient& client,
                                const std::map<std::string, AccountSpec>& accounts,
                                const std::map<std::string, KnownCooldown>& cooldowns, TimeMs now,
                                CollectorState& state, TimeMs base_ms) {
  CycleResult r;
  auto listing = client.list_auth_files();
  if (!listing.ok()) {
    handle_error(listing.error, state, base_ms, r);
    return r;
  }
  state.consecutive_failures = 0;
  ListingPlan plan = plan_from_listing(*listing.value, accounts, cooldowns, now);
  r.events = std::move(plan.events);
  for (const auto& name : plan.unmatched) r.notes.push_back("no QuotaGuard account for auth " + name);

  for (const auto& target : plan.targets) {
    auto reply = client.api_call(target.request_json);
    if (!reply.ok()) {
      const auto kind = reply.error.kind;
      if (kind == ManagementErrorKind::unauthorized || kind == ManagementErrorKind::banned ||
          kind == ManagementErrorKind::disabled) {
        handle_error(reply.error, state, base_ms, r);
        return r;  // keep the events gathered so far
      }
      r.notes.push_back(target.account_id + ": " + reply.error.message);
      continue;
    }
    const ManagedAuthFile& entry = plan.entry_of.at(target.account_id);
    PollDecision d = decide_on_poll(target, entry, *reply.value, client.version(), now);
    if (!d.note.empty()) r.notes.push_back(d.note);
    for (auto& e : d.events) {
      if (auto* q = std::get_if<QuotaObserved>(&e.payload)) {
        ++r.polled;
        for (const auto& w : q->windows)
          if (w.limit > 0)
            r.max_used_percent = std::max(r.max_used_percent, 100.0 * static_cast<double>(w.used) / static_cast<double>(w.limit));
      }
      r.events.push_back(std::move(e));
    }
    if (d.reset_quota) {
      auto reset = client.reset_quota(entry.auth_index);
      if (reset.ok()) {
        ++r.resets;
        for (auto& e : d.after_reset) r.events.push_back(std::move(e));
        r.notes.push_back(target.account_id + ": stale CLIProxyAPI cooldown cleared (reset-quota)");
      } else {
        r.notes.push_back(target.account_id + ": reset-quota failed: " + reset.error.message);
      }
    }
  }
  return r;
}

}  // namespace qg::cliproxy
