// telegram/chat_format.cpp — status/quota/event/error text for chat.
#include "telegram/chat_format.hpp"
#include "messages/text_cut.hpp"

#include "messages/operations.hpp"
#include "telegram/chat_text.hpp"
#include "messages/event_codec.hpp"
#include "messages/window_label.hpp"
#include "messages/settings_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace qg::telegram {

namespace {

using nlohmann::json;

// A number as people write it: 85, 85.5, 0.25 (no "85.0", no 17 significant digits).
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string e(std::string_view s) { return html_escape(s); }

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, p >= 10 || p == 0 ? "%.0f%%" : "%.1f%%", p);
  return buf;
}

std::string state_icon(const std::string& state) {
  if (state == "active") return "🟢";
  if (state == "draining") return "🟡";
  if (state == "cooldown") return "🟠";
  if (state == "exhausted") return "🔴";
  return "⚪";
}

std::string window_name(const WindowView& w) { return std::string(to_string(w.metric)) + "/" + window_label(w.window_s); }

double window_percent(const WindowView& w) {
  if (w.limit <= 0) return -1;
  return static_cast<double>(w.used + w.reserved) / static_cast<double>(w.limit) * 100.0;
}

}  // namespace

std::string compact_duration(TimeMs ms) {
  if (ms <= 0) return "0s";
  std::int64_t s = (ms + 999) / 1000;
  const std::int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  std::string out;
  if (d) out += std::to_string(d) + "d";
  if (h) out += std::to_string(h) + "h";
  if (m && !d) out += std::to_string(m) + "m";
  if (sec && !d && !h) out += std::to_string(sec) + "s";
  return out.empty() ? "0s" : out;
}

std::string format_when(TimeMs t, TimeMs now) {
  if (t <= 0) return "";
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  if (std::llabs(t - now) < 20 * 3600 * 1000LL) std::strftime(buf, sizeof buf, "%H:%M UTC", &tm);
  else std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  std::string out = buf;
  out += t >= now ? " (in " + compact_duration(t - now) + ")" : " (" + compact_duration(now - t) + " ago)";
  return out;
}

std::string format_status(const StatusView& status, const std::vector<AccountView>& accounts, TimeMs now) {
  std::string out = "<b>QuotaGuard status</b>";
  if (!status.version.empty()) out += " v" + e(status.version);
  out += "\nuptime " + compact_duration(status.uptime_s * 1000) + " · journal seq " +
         std::to_string(status.journal_seq) + " · open reservations " +
         std::to_string(status.open_reservations);
  out += status.ready ? " · ready" : " · <b>not ready</b>";
  out += "\n";
  for (const char* component : {"collector", "telegram"}) {
    const auto c = status.components.find(component);
    if (c == status.components.end() || !c->second.enabled) continue;
    if (c->second.healthy) out += std::string(component) + " ok";
    else out += "⚠️ " + std::string(component) + ": " + e(c->second.detail);
    out += "\n";
  }
  if (accounts.empty()) out += "\nNo accounts.\n";
  for (const auto& a : accounts) {
    out += "\n" + state_icon(a.state) + " <b>" + e(a.id) + "</b> " + e(a.state);
    if (!a.provider.empty()) out += " · " + e(a.provider);
    out += " · in-flight " + std::to_string(a.in_flight);
    out += "\n";
    if (a.state == "cooldown") {
      const std::string until = format_when(a.cooldown_until, now);
      if (!until.empty()) {
        out += "  cooldown until " + until;
        if (!a.cooldown_reason.empty()) out += " — " + e(a.cooldown_reason);
        if (!a.cooldown_detail.empty()) out += ": " + e(a.cooldown_detail);
        out += "\n";
      }
    }
    for (const auto& w : a.windows) {
      const double p = window_percent(w);
      out += "  " + e(window_name(w)) + " " + (p < 0 ? std::string("no limit") : percent(p));
      if (w.source != QuotaSource::config) out += " (" + e(to_string(w.source)) + ")";
      if (w.reserved > 0) out += " · reserved " + std::to_string(w.reserved);
      const std::string reset = format_when(w.reset_at, now);
      if (!reset.empty()) out += " · reset " + reset;
      out += "\n";
    }
  }
  if (!status.sticky_routes.empty()) {
    out += "\n<b>Sticky routes</b>\n";
    for (const auto& [key, account] : status.sticky_routes) out += "  " + e(key) + " → " + e(account) + "\n";
  }
  return out;
}

std::string format_quotas(const std::vector<AccountView>& accounts, TimeMs now) {
  std::string out = "<b>Quotas</b>\n";
  if (accounts.empty()) return out + "No accounts.";
  for (const auto& a : accounts) {
    out += "\n" + state_icon(a.state) + " <b>" + e(a.id) + "</b>\n";
    if (a.windows.empty()) out += "  no quota windows known\n";
    for (const auto& w : a.windows) {
      const double p = window_percent(w);
      out += "  " + e(window_name(w)) + ": " + std::to_string(w.used);
      if (w.limit > 0) out += "/" + std::to_string(w.limit) + " (" + percent(p) + ")";
      if (w.reserved > 0) out += " +" + std::to_string(w.reserved) + " reserved";
      const std::string reset = format_when(w.reset_at, now);
      if (!reset.empty()) out += " · reset " + reset;
      out += " · " + e(to_string(w.source));
      out += "\n";
    }
  }
  return out;
}

std::string format_events(const std::vector<Event>& events) {
  if (events.empty()) return "No events.";
  std::string out = "<b>Events</b>\n";
  for (const auto& ev : events) {
    const std::string data = shorten_text(encode_payload(ev.payload), 200);
    out += "#" + std::to_string(ev.seq) + " " + e(format_iso8601_ms(ev.ts)) + " <b>" + e(event_type(ev)) + "</b>";
    if (!ev.account.empty()) out += " " + e(ev.account);
    if (!data.empty() && data != "{}") out += " <code>" + e(data) + "</code>";
    out += "\n";
  }
  return out;
}

std::string format_error(const OpFailure& f) { return "❌ " + e(f.message); }

std::string format_setting(const SettingView& v) {
  const std::string_view name = v.setting ? v.setting->name : std::string_view{};
  const RouterSettings* s = v.settings ? &*v.settings : nullptr;
  if (name == "thresholds") {
    const auto number = [&](double RouteThresholds::*field) { return s ? number_text(s->thresholds.*field) : ""; };
    return "<b>Thresholds</b> (percent used)\nwarning " + e(number(&RouteThresholds::warning)) + " · switch " +
           e(number(&RouteThresholds::switch_at)) + " · critical " + e(number(&RouteThresholds::critical));
  }
  if (name == "policy") return "<b>Policy</b>: " + e(s ? to_string(s->policy) : "");
  if (name == "fallbacks") {
    if (!s || s->fallback_chains.empty()) return "<b>Fallback chains</b>: none";
    std::string out = "<b>Fallback chains</b>\n";
    for (const auto& [model, alternatives] : s->fallback_chains) {
      out += "  " + e(model) + " →";
      for (const auto& m : alternatives) out += " " + e(m);
      out += "\n";
    }
    return out;
  }
  const json value = s && v.setting ? setting_json(*s, v.setting->router_key) : json(nullptr);
  return "<b>" + e(name) + "</b>: <code>" + e(value.dump()) + "</code>";
}

}  // namespace qg::telegram
