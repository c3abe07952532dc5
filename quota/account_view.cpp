// quota/account_view.cpp — see account_view.hpp.
#include "quota/account_view.hpp"

namespace qg {

AccountView account_view(const AccountState& original, TimeMs now) {
  AccountState s = original;
  roll_windows(s, now);
  AccountView v;
  v.at = now;
  v.id = s.id;
  v.provider = s.spec.provider;
  v.type = s.spec.type;
  v.email = s.spec.email;
  v.prefix = s.spec.prefix;
  v.origin = s.spec.origin;
  v.auth_dir = s.spec.auth_dir;
  v.priority = s.spec.priority;
  v.models = s.spec.models;
  v.enabled = s.spec.enabled;
  v.removed = s.removed;
  v.registered_by = s.registered_by;
  v.state = to_string(status_at(s, now));
  v.used_percent = max_used_percent(s);
  v.cooldown_until = s.cooldown_until;
  v.cooldown_reason = s.cooldown_reason;
  v.cooldown_detail = s.cooldown_detail;
  for (const auto& w : s.windows)
    v.windows.push_back({w.metric, w.window_s, w.limit, w.used, w.reserved, w.reset_at, w.source, std::nullopt});
  v.in_flight = s.reservations.size();
  v.counters = {s.counters.created, s.counters.committed, s.counters.released, s.counters.expired,
                s.counters.committed_usage};
  return v;
}

ReservationView reservation_view(const std::string& account, const Reservation& r) {
  return {r.id, account, r.model, "active", r.estimate, r.created_at, r.expires_at};
}

void attach_forecasts(std::vector<AccountView>& accounts, const ForecastView& f) {
  for (auto& a : accounts) {
    const AccountForecast* forecast = nullptr;
    for (const auto& candidate : f.accounts)
      if (candidate.id == a.id) forecast = &candidate;
    if (!forecast) continue;
    std::vector<bool> taken(forecast->windows.size(), false);
    for (auto& w : a.windows)
      for (std::size_t i = 0; i < forecast->windows.size(); ++i) {
        const auto& wf = forecast->windows[i];
        if (!taken[i] && wf.metric == w.metric && wf.window_s == w.window_s && wf.limit == w.limit) {
          taken[i] = true;
          w.forecast = wf;
          break;
        }
      }
  }
}

}  // namespace qg
