// sim/run_stats.cpp — see run_stats.hpp.
#include "sim/run_stats.hpp"

#include <algorithm>
#include <tuple>

namespace qg::sim {

namespace {
constexpr int kMaxResetsPerStep = 100'000;  // a bound on rolling a long-idle account forward

// The window --plot shows for an account: its first window with a limit (config windows first).
const QuotaWindow* main_window(const AccountState& s) {
  for (const auto& w : s.windows)
    if (w.limit > 0) return &w;
  return nullptr;
}
}  // namespace

RunTracker::AccountTrack& RunTracker::track(const std::string& id) { return accounts_[id]; }

RunTracker::WindowTrack& RunTracker::window(AccountTrack& a, const std::string& id, const QuotaWindow& w) {
  for (auto& t : a.windows)
    if (t.metric == w.metric && t.window_s == w.window_s && t.origin == w.origin) return t;
  WindowTrack t{w.metric, w.window_s, w.origin, {}};
  t.stats.account = id;
  t.stats.metric = w.metric;
  t.stats.window_s = w.window_s;
  a.windows.push_back(t);
  return a.windows.back();
}

void RunTracker::integrate(AccountTrack& a, TimeMs to, const RouteThresholds& t) {
  if (to <= a.at) return;
  if (a.percent >= t.switch_at) a.past_switch += to - a.at;
  if (a.percent > t.critical) a.past_critical += to - a.at;
  a.at = to;
}

void RunTracker::start(std::map<std::string, AccountState>& accounts, TimeMs at, const RouteThresholds& t) {
  started_ = true;
  for (auto& [id, s] : accounts) {
    advance(s, at, t);
    sample(s, at);
  }
}

void RunTracker::advance(AccountState& s, TimeMs ts, const RouteThresholds& t) {
  if (!started_) return;
  AccountTrack& a = track(s.id);
  if (a.at == 0) a.at = ts;
  for (int i = 0; i < kMaxResetsPerStep; ++i) {
    TimeMs next = 0;
    for (const auto& w : s.windows)
      if (w.reset_at > 0 && w.reset_at <= ts && (next == 0 || w.reset_at < next)) next = w.reset_at;
    if (next == 0) break;
    integrate(a, next, t);
    bool main_reset = false;
    const QuotaWindow* main = main_window(s);
    for (const auto& w : s.windows) {
      if (w.reset_at != next || w.limit <= 0) continue;
      WindowTrack& wt = window(a, s.id, w);
      ++wt.stats.resets;
      wt.stats.unused_at_reset += std::max<std::int64_t>(0, w.limit - w.used);
      main_reset = main_reset || &w == main;
    }
    if (main_reset) plot(s.id, s, next, true);
    roll_windows(s, next);
    a.percent = max_used_percent(s);
  }
  integrate(a, ts, t);
}

void RunTracker::sample(const AccountState& s, TimeMs ts) {
  if (!started_) return;
  AccountTrack& a = track(s.id);
  a.percent = max_used_percent(s);
  for (const auto& w : s.windows) {
    if (w.limit <= 0) continue;
    WindowTrack& wt = window(a, s.id, w);
    wt.stats.limit = w.limit;
    wt.stats.peak_percent = std::max(wt.stats.peak_percent, w.used_percent());
  }
  plot(s.id, s, ts, false);
}

void RunTracker::plot(const std::string& id, const AccountState& s, TimeMs at, bool reset) {
  if (!series_) return;
  const QuotaWindow* w = main_window(s);
  if (!w) return;
  AccountSeries& series = stats_.series[id];
  if (series.account.empty()) {
    series.account = id;
    series.metric = w->metric;
    series.window_s = w->window_s;
  }
  if (w->metric != series.metric || w->window_s != series.window_s) return;
  if (reset) {
    series.points.push_back({at, static_cast<float>(w->used_percent())});
    series.points.push_back({at, 0.0f});
    series.resets.push_back(at);
    return;
  }
  const auto percent = static_cast<float>(w->used_percent());
  if (!series.points.empty() && series.points.back().percent == percent) return;
  series.points.push_back({at, percent});
}

void RunTracker::outcome(TimeMs at, RunOutcome now, RunOutcome previous) {
  if (!started_) return;
  auto count = [this](RunOutcome o, int sign) {
    if (o == RunOutcome::served || o == RunOutcome::fallback) stats_.served += sign;
    if (o == RunOutcome::fallback) stats_.fallback += sign;
    if (o == RunOutcome::refused) stats_.refused += sign;
  };
  if (previous == RunOutcome::none) ++stats_.requests;
  count(previous, -1);
  count(now, +1);
  if (now == RunOutcome::refused && series_) stats_.refusals.push_back(at);
}

void RunTracker::switched(const RouteSwitched& sw, TimeMs at, TimeMs min_dwell_ms) {
  LastSwitch& last = last_switch_[sw.route_key];
  if (started_) {
    ++stats_.switches;
    if (!sw.from.empty() && last.to == sw.from && last.from == sw.to && at - last.at < min_dwell_ms) ++stats_.flaps;
  }
  last = LastSwitch{sw.from, sw.to, at};
}

void RunTracker::rate_limited(const std::string& account, TimeMs at) {
  if (started_ && series_) stats_.series[account].rate_limited.push_back(at);
}

RunStats RunTracker::finish(std::map<std::string, AccountState>& accounts, TimeMs end, const RouteThresholds& t) {
  if (!started_) start(accounts, end, t);
  for (auto& [id, s] : accounts) advance(s, end, t);
  std::vector<std::string> ids;
  for (const auto& [id, a] : accounts_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    AccountTrack& a = accounts_[id];
    std::vector<WindowTrack> windows = a.windows;
    std::sort(windows.begin(), windows.end(), [](const WindowTrack& x, const WindowTrack& y) {
      return std::tuple(static_cast<int>(x.metric), x.window_s, static_cast<int>(x.origin)) <
             std::tuple(static_cast<int>(y.metric), y.window_s, static_cast<int>(y.origin));
    });
    for (const auto& w : windows)
      if (w.stats.limit > 0) stats_.windows.push_back(w.stats);
    stats_.past_switch_ms[id] = a.past_switch;
    stats_.past_critical_ms[id] = a.past_critical;
  }
  for (auto it = stats_.series.begin(); it != stats_.series.end();)
    it = it->second.account.empty() ? stats_.series.erase(it) : std::next(it);
  return std::move(stats_);
}

}  // namespace qg::sim
