// quota/forecast.cpp — the forecast math (see forecast.hpp).
#include "quota/forecast.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace qg {

namespace {

// Rounds up, ignoring the last bits of floating-point noise (50 / (25 / 3.6e6) is 7.2e6, not
// 7200000.000001 -> 7200001).
double ceil_exact(double x) { return std::ceil(x - 1e-6 * std::max(1.0, std::fabs(x)) * 1e-3); }

// now + units / rate as TimeMs, saturating far in the future instead of overflowing.
TimeMs after(TimeMs now, double units, double rate_per_ms) {
  const double dt = ceil_exact(units / rate_per_ms);
  constexpr double kFar = 1e15;  // ~31,000 years of ms
  return now + static_cast<TimeMs>(std::min(dt, kFar));
}

}  // namespace

WindowForecast forecast_window(const QuotaWindow& w, double rate_per_ms, TimeMs now,
                               double critical_percent) {
  WindowForecast f;
  f.metric = w.metric;
  f.window_s = w.window_s;
  f.limit = w.limit;
  f.reset_at = w.reset_at;
  f.rate_per_s = rate_per_ms * 1000.0;
  const bool reset_known = w.reset_at > now;
  const std::int64_t load = std::max<std::int64_t>(0, w.used) + std::max<std::int64_t>(0, w.reserved);
  f.used = load;
  if (w.limit <= 0) return f;
  const double limit = static_cast<double>(w.limit);
  f.used_percent = 100.0 * static_cast<double>(load) / limit;
  const bool burning = rate_per_ms > 0;

  // critical percent of the limit
  const double critical_units = limit * critical_percent / 100.0;
  if (static_cast<double>(load) >= critical_units) f.critical_at = now;
  else if (burning) {
    const TimeMs t = after(now, critical_units - static_cast<double>(load), rate_per_ms);
    if (!reset_known || t < w.reset_at) f.critical_at = t;
  }

  if (load >= w.limit) f.exhausts_at = now;
  else if (burning) f.exhausts_at = after(now, limit - static_cast<double>(load), rate_per_ms);

  if (f.exhausts_at > 0 && (!reset_known || f.exhausts_at < w.reset_at)) {
    f.verdict = ForecastVerdict::runs_out;
    if (reset_known) f.short_by_ms = w.reset_at - f.exhausts_at;
  } else {
    f.exhausts_at = 0;
    f.verdict = burning ? ForecastVerdict::resets_first : ForecastVerdict::idle;
  }
  if (reset_known) {
    const double projected =
        std::min(limit, static_cast<double>(load) + rate_per_ms * static_cast<double>(w.reset_at - now));
    f.projected_at_reset = static_cast<std::int64_t>(ceil_exact(projected));
    f.unused_at_reset = w.limit - *f.projected_at_reset;
  }
  return f;
}

AccountForecast forecast_account(const AccountState& state, TimeMs now, double critical_percent) {
  AccountState s = state;
  roll_windows(s, now);
  AccountForecast a;
  a.id = s.id;
  const AccountStatus status = status_at(s, now);
  a.state = to_string(status);
  for (const auto& w : s.windows) {
    if (w.limit <= 0) continue;
    WindowForecast f = forecast_window(w, s.burn.per_ms(w.metric, now), now, critical_percent);
    if (f.critical_at > 0 && (a.critical_at == 0 || f.critical_at < a.critical_at)) {
      a.critical_at = f.critical_at;
      a.recovers_at = f.reset_at > now ? f.reset_at : 0;
    }
    a.windows.push_back(std::move(f));
  }
  if (status == AccountStatus::disabled || status == AccountStatus::draining ||
      status == AccountStatus::cooldown) {
    a.critical_at = now;
    a.recovers_at = status == AccountStatus::cooldown ? s.cooldown_until : 0;
  }
  return a;
}

std::vector<PoolForecast> forecast_pools(const std::map<std::string, AccountState>& states,
                                         const std::vector<AccountForecast>& accounts,
                                         const RouterSettings& settings) {
  std::set<std::string> models;
  for (const auto& [model, chain] : settings.fallback_chains) models.insert(model);
  for (const auto& [id, s] : states)
    if (!s.removed && s.spec.enabled)
      for (const auto& m : s.spec.models) models.insert(m);

  std::vector<PoolForecast> pools;
  for (const auto& model : models) {
    PoolForecast p;
    p.model = model;
    p.chain.push_back(model);
    if (auto it = settings.fallback_chains.find(model); it != settings.fallback_chains.end())
      for (const auto& alt : it->second)
        if (std::find(p.chain.begin(), p.chain.end(), alt) == p.chain.end()) p.chain.push_back(alt);
    for (const auto& a : accounts) {
      auto s = states.find(a.id);
      if (s == states.end() || s->second.removed || !s->second.spec.enabled) continue;
      const bool serves = std::any_of(p.chain.begin(), p.chain.end(),
                                      [&](const std::string& m) { return serves_model(s->second.spec, m); });
      if (serves) p.accounts.push_back({a.id, a.critical_at, a.recovers_at});
    }
    TimeMs last_critical = 0, first_recovery = 0;
    bool all_critical = !p.accounts.empty();
    for (const auto& m : p.accounts) {
      if (m.critical_at == 0) all_critical = false;
      last_critical = std::max(last_critical, m.critical_at);
      if (m.recovers_at > 0 && (first_recovery == 0 || m.recovers_at < first_recovery))
        first_recovery = m.recovers_at;
    }
    if (all_critical && (first_recovery == 0 || last_critical < first_recovery)) {
      p.dry_at = last_critical;
      p.dry_until = first_recovery;
    }
    pools.push_back(std::move(p));
  }
  return pools;
}

ForecastView forecast(const std::map<std::string, AccountState>& states,
                      const RouterSettings& settings, TimeMs now) {
  ForecastView v;
  v.at = now;
  v.half_life_ms = kBurnHalfLifeMs;
  v.critical_percent = settings.thresholds.critical;
  for (const auto& [id, s] : states) {
    if (s.removed) continue;
    v.accounts.push_back(forecast_account(s, now, v.critical_percent));
  }
  v.pools = forecast_pools(states, v.accounts, settings);
  return v;
}

}  // namespace qg
