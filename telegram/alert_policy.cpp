// telegram/alert_policy.cpp — events -> alert messages, dedup and throttle.
#include "telegram/alert_policy.hpp"
#include "messages/window_label.hpp"

#include "telegram/chat_format.hpp"
#include "telegram/chat_text.hpp"
#include "messages/event_codec.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <type_traits>

namespace qg::telegram {

namespace {

using nlohmann::json;

constexpr TimeMs kUnknownWindowForgetMs = 60 * 60 * 1000;

std::string e(std::string_view s) { return html_escape(s); }

std::string pct(double p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", p);
  return buf;
}

std::string window_key(const std::string& account, const ThresholdCrossed& t, const char* level) {
  return account + "|" + to_string(t.metric) + "|" + std::to_string(t.window_s) + "|" + level;
}

// Is an earlier alert for this key still in force at `now`? (A window resets within its
// length, which re-arms the source silently; so the entry expires after one window.)
bool still_alerted(const AlertState& s, const std::string& key, std::int64_t window_s, TimeMs now) {
  const auto it = s.alerted.find(key);
  if (it == s.alerted.end()) return false;
  const TimeMs ttl = window_s > 0 ? window_s * 1000 : kUnknownWindowForgetMs;
  return now - it->second < ttl;
}

std::vector<Alert> threshold_alert(AlertState& s, const std::string& account, const ThresholdCrossed& t,
                                   TimeMs ts) {
  const std::string what = e(account) + " " + to_string(t.metric) + "/" + (t.window_s > 0 ? qg::window_label(t.window_s) : std::string("?"));
  const std::string warn_key = window_key(account, t, "warning");
  const std::string crit_key = window_key(account, t, "critical");
  if (t.level == "recovered") {
    const bool had = still_alerted(s, warn_key, t.window_s, ts) || still_alerted(s, crit_key, t.window_s, ts);
    s.alerted.erase(warn_key);
    s.alerted.erase(crit_key);
    if (!had) return {};
    return {Alert{"🟢 <b>Recovered</b> " + what + " back to " + pct(t.used_percent) + " used", warn_key + ":recovered"}};
  }
  if (t.level == "critical") {
    if (still_alerted(s, crit_key, t.window_s, ts)) return {};
    s.alerted[crit_key] = ts;
    return {Alert{"🔴 <b>CRITICAL</b> " + what + " at " + pct(t.used_percent) + " used", crit_key}};
  }
  if (t.level == "warning") {
    if (still_alerted(s, warn_key, t.window_s, ts) || still_alerted(s, crit_key, t.window_s, ts)) return {};
    s.alerted[warn_key] = ts;
    return {Alert{"🟡 <b>Warning</b> " + what + " at " + pct(t.used_percent) + " used", warn_key}};
  }
  return {};
}

std::vector<Alert> recovered_from_auth(AlertState& s, const std::string& account, const std::string& why) {
  if (s.auth_down.erase(account) == 0) return {};
  return {Alert{"🟢 <b>Account back</b> " + e(account) + " (" + e(why) + ")", account + "|auth:recovered"}};
}

}  // namespace

std::vector<Alert> alerts_for_event(AlertState& s, const Event& ev) {
  if (ev.seq > s.last_seq) s.last_seq = ev.seq;
  if (s.alerted.size() > 512) {  // bound the saved state: entries older than any window are moot
    for (auto it = s.alerted.begin(); it != s.alerted.end();)
      it = ev.ts - it->second > 8LL * 86400 * 1000 ? s.alerted.erase(it) : std::next(it);
  }
  return std::visit(
      [&](const auto& p) -> std::vector<Alert> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ThresholdCrossed>) {
          return threshold_alert(s, ev.account, p, ev.ts);
        } else if constexpr (std::is_same_v<T, CooldownStarted>) {
          if (p.reason != "auth" || s.auth_down.count(ev.account)) return {};
          s.auth_down.insert(ev.account);
          std::string html = "🔴 <b>Re-login needed</b> " + e(ev.account);
          if (!p.detail.empty()) html += ": " + e(p.detail);
          html += "\nThe account is out of routing until it is fixed (then /qg_reset " + e(ev.account) + ").";
          return {Alert{std::move(html), ev.account + "|auth"}};
        } else if constexpr (std::is_same_v<T, CooldownEnded>) {
          return recovered_from_auth(s, ev.account, p.reason.empty() ? "cooldown ended" : p.reason);
        } else if constexpr (std::is_same_v<T, AccountRemoved>) {
          s.auth_down.erase(ev.account);
          return {};
        } else {
          return {};
        }
      },
      ev.payload);
}

std::optional<Alert> capacity_transition(AlertState& s, const std::vector<AccountView>& accounts) {
  int usable = 0, blocked = 0;
  for (const auto& a : accounts) {
    if (a.state == "active") ++usable;
    else if (a.state == "exhausted" || a.state == "cooldown") ++blocked;
  }
  if (!s.all_exhausted && usable == 0 && blocked > 0) {
    s.all_exhausted = true;
    return Alert{"🚨 <b>All accounts exhausted</b>: " + std::to_string(blocked) +
                     " account(s) out of quota or cooling down; requests get 429 until a window resets.",
                 "all|exhausted"};
  }
  if (s.all_exhausted && usable > 0) {
    s.all_exhausted = false;
    return Alert{"🟢 <b>Capacity back</b>: " + std::to_string(usable) + " account(s) usable again.",
                 "all|recovered"};
  }
  return std::nullopt;
}

std::vector<Alert> forecast_transitions(AlertState& s, const ForecastView& f, TimeMs horizon_ms) {
  std::vector<Alert> out;
  std::set<std::string> present;
  for (const auto& p : f.pools) {
    present.insert(p.model);
    const TimeMs in = p.dry_at > 0 ? std::max<TimeMs>(0, p.dry_at - f.at) : -1;
    const bool alerted = s.dry_pools.count(p.model) > 0;
    if (!alerted && in >= 0 && in <= horizon_ms) {
      s.dry_pools.insert(p.model);
      std::string chain;
      for (const auto& m : p.chain) chain += (chain.empty() ? "" : " → ") + e(m);
      std::string html = "⏳ <b>Pool " + e(p.model) + " runs dry in " + compact_duration(in) +
                         "</b> at the current pace: every account of " + chain + " past critical";
      if (p.dry_until > 0) html += " until the first resets in " + compact_duration(p.dry_until - f.at);
      html += ". /qg_forecast for the figures.";
      out.push_back({std::move(html), "pool|" + p.model + "|dry"});
    } else if (alerted && (in < 0 || in > 2 * horizon_ms)) {
      s.dry_pools.erase(p.model);
      out.push_back({"🟢 <b>Pool " + e(p.model) + "</b> no longer forecast to run dry.",
                     "pool|" + p.model + "|recovered"});
    }
  }
  for (auto it = s.dry_pools.begin(); it != s.dry_pools.end();)  // pools that went away
    it = present.count(*it) ? std::next(it) : s.dry_pools.erase(it);
  return out;
}

std::vector<Alert> AlertThrottle::admit(std::vector<Alert> alerts, TimeMs now) {
  std::vector<Alert> out;
  for (auto& a : alerts) {
    if (!bucket_.try_take(now)) {
      ++dropped_pending_;
      ++dropped_total_;
      continue;
    }
    if (dropped_pending_ > 0) {
      a.html += "\n<i>(" + std::to_string(dropped_pending_) + " earlier alert(s) dropped by the alert rate limit)</i>";
      dropped_pending_ = 0;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::string to_json_text(const AlertState& s) {
  json j{{"last_seq", s.last_seq}, {"alerted", s.alerted}, {"auth_down", s.auth_down},
         {"all_exhausted", s.all_exhausted}, {"dry_pools", s.dry_pools}};
  return j.dump();
}

std::optional<AlertState> alert_state_from_json_text(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    AlertState s;
    s.last_seq = j.at("last_seq").get<std::uint64_t>();
    s.alerted = j.value("alerted", std::map<std::string, TimeMs>{});
    s.auth_down = j.value("auth_down", std::set<std::string>{});
    s.all_exhausted = j.value("all_exhausted", false);
    s.dry_pools = j.value("dry_pools", std::set<std::string>{});
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace qg::telegram
