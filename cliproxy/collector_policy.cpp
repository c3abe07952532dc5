// cliproxy/collector_policy.cpp — see collector_policy.hpp.
#include "cliproxy/collector_policy.hpp"

#include "cliproxy/auth_file.hpp"
#include "cliproxy/time_parse.hpp"

#include <algorithm>
#include <cmath>

namespace qg::cliproxy {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> projects_of(const ManagedAuthFile& e) {
  std::vector<std::string> out;
  std::string list = e.name.find("::") != std::string::npos ? e.name.substr(e.name.find("::") + 2) : e.project_id;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string p = list.substr(start, comma - start);
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    if (!p.empty()) out.push_back(p);
    start = comma + 1;
  }
  return out;
}

}  // namespace

TimeMs next_poll_delay(const PollIntervalInput& in) {
  const double base = static_cast<double>(std::max<TimeMs>(in.base_ms, 1000));
  double d = base;
  if (in.max_used_percent >= 80) d = base / 4;
  else if (in.requests_since_last > 0) d = base / 2;
  else if (in.max_used_percent < 50) d = base * 4;
  else d = base * 2;
  const double lo = std::max(10000.0, base / 4), hi = std::min(900000.0, base * 4);
  d = std::clamp(d, std::min(lo, hi), std::max(lo, hi));
  const double jitter = std::clamp(in.jitter01, 0.0, 1.0) * 0.2 - 0.1;  // +-10 %
  return static_cast<TimeMs>(std::llround(d * (1.0 + jitter)));
}

ErrorDecision decide_on_error(const ManagementError& e, int consecutive_failures, TimeMs base_ms) {
  ErrorDecision d;
  switch (e.kind) {
    case ManagementErrorKind::unauthorized:
    case ManagementErrorKind::banned:
      d.action = CollectorAction::stop_and_alert;
      d.alert = e.message;
      return d;
    case ManagementErrorKind::disabled:
      d.action = CollectorAction::disable_with_warning;
      d.alert = e.message;
      return d;
    default:
      break;
  }
  d.action = CollectorAction::retry_next_poll;
  d.alert = consecutive_failures == 3 ? e.message + " (3 polls in a row)" : "";
  // Exponential backoff from the base interval, capped at 15 minutes.
  int shift = std::clamp(consecutive_failures - 1, 0, 4);
  d.retry_in_ms = std::min<TimeMs>(std::max<TimeMs>(base_ms, 1000) << shift, 900000);
  return d;
}

ListingPlan plan_from_listing(const std::vector<ManagedAuthFile>& entries,
                              const std::map<std::string, AccountSpec>& accounts,
                              const std::map<std::string, KnownCooldown>& cooldowns, TimeMs now) {
  ListingPlan plan;
  std::vector<bool> used(entries.size(), false);
  for (const auto& [id, spec] : accounts) {
    if (spec.origin != "cliproxy") continue;
    const ManagedAuthFile* match = nullptr;
    std::string project;
    for (std::size_t i = 0; i < entries.size() && !match; ++i) {
      const auto& e = entries[i];
      if (e.file_name() != spec.file) continue;
      auto projects = projects_of(e);
      if (projects.empty() || spec.type != "gemini") {
        match = &e;
        used[i] = true;
        if (!projects.empty()) project = projects.front();
        break;
      }
      for (const auto& p : projects)
        if (ends_with(id, "-" + sanitize_id_part(p))) {
          match = &e;
          used[i] = true;
          project = p;
          break;
        }
    }
    if (!match) continue;
    plan.entry_of[id] = *match;

    // Mirror CLIProxyAPI's whole-auth cooldown; end ours when it stops cooling.
    auto known = cooldowns.find(id);
    bool cooling = match->unavailable && match->next_retry_after > now;
    if (cooling && (known == cooldowns.end() || known->second.until < match->next_retry_after)) {
      CooldownStarted c;
      c.until = match->next_retry_after;
      c.reason = "upstream_cooldown";
      c.detail = "CLIProxyAPI cools " + match->file_name() + " until " + format_time_utc(match->next_retry_after);
      plan.events.push_back(Event{0, now, id, c});
    } else if (!cooling && known != cooldowns.end() && known->second.reason == "upstream_cooldown" &&
               known->second.until > now) {
      plan.events.push_back(Event{0, now, id, CooldownEnded{"probe_ok"}});
    }

    QuotaKind kind = quota_kind_for_type(spec.type);
    if (kind == QuotaKind::none || !spec.enabled || match->disabled || match->auth_index.empty()) continue;
    PollTarget t;
    t.account_id = id;
    t.auth_index = match->auth_index;
    t.kind = kind;
    t.project = project;
    t.request_json = build_quota_api_call(kind, match->auth_index, match->chatgpt_account_id, project);
    plan.targets.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!used[i]) plan.unmatched.push_back(entries[i].name);
  return plan;
}

PollDecision decide_on_poll(const PollTarget& target, const ManagedAuthFile& entry,
                            const ApiCallResponse& response, const CpaVersion& version, TimeMs now) {
  PollDecision d;
  if (response.status_code < 200 || response.status_code >= 300) {
    d.note = std::string(to_string(target.kind)) + " quota endpoint answered " +
             std::to_string(response.status_code) + " for " + target.account_id;
    return d;
  }
  PollQuota q = parse_quota(target.kind, response.body, now);
  if (!q.ok()) {
    d.note = q.error + " (" + target.account_id + ")";
    return d;
  }
  QuotaObserved obs;
  obs.source = QuotaSource::poll;
  obs.windows = q.windows;
  d.events.push_back(Event{0, now, target.account_id, obs});
  bool cpa_cooling = entry.unavailable && entry.next_retry_after > now;
  if (cpa_cooling && q.max_used_percent() < 100.0 && version.at_least(7)) {
    d.reset_quota = true;
    d.after_reset.push_back(Event{0, now, target.account_id, CooldownEnded{"probe_ok"}});
  }
  return d;
}

}  // namespace qg::cliproxy
