// telegram/chat_format.cpp — status/quota/event/error text for chat.
#include "telegram/chat_format.hpp"
#include "messages/text_cut.hpp"

#include "messages/operations.hpp"
#include "telegram/chat_text.hpp"
#include "messages/event_codec.hpp"

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

std::string text_of(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_float()) return number_text(it->get<double>());
  return it->dump();
}

double number_of(const json& obj, const char* key, double fallback = 0) {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
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

std::string count(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return std::to_string(static_cast<std::int64_t>(v.get<double>()));
  if (v.is_string()) return v.get<std::string>();
  return "?";
}

std::string window_name(const json& w) {
  std::string s = text_of(w, "metric") + "/" + text_of(w, "window");
  return s == "/" ? "window" : s;
}

double window_percent(const json& w) {
  const double limit = number_of(w, "limit");
  if (limit <= 0) return -1;
  return (number_of(w, "used") + number_of(w, "reserved")) / limit * 100.0;
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

std::string format_when(const json& value, TimeMs now) {
  TimeMs t = 0;
  if (value.is_number()) {
    const double v = value.get<double>();
    t = static_cast<TimeMs>(v < 1e11 ? v * 1000 : v);
  } else if (value.is_string()) {
    if (auto parsed = parse_iso8601(value.get<std::string>())) t = *parsed;
    else return e(value.get<std::string>());
  }
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

std::string format_status(const json& status, const json& accounts, TimeMs now) {
  std::string out = "<b>QuotaGuard status</b>";
  const std::string version = text_of(status, "version");
  if (!version.empty()) out += " v" + e(version);
  out += "\nuptime " + compact_duration(static_cast<TimeMs>(number_of(status, "uptime_s") * 1000)) +
         " · journal seq " + e(text_of(status, "journal_seq")) +
         " · open reservations " + e(text_of(status, "open_reservations"));
  if (status.is_object() && status.contains("ready"))
    out += status["ready"] == true ? " · ready" : " · <b>not ready</b>";
  out += "\n";
  for (const char* component : {"collector", "telegram"}) {
    const json c = status.is_object() ? status.value(component, json()) : json();
    if (!c.is_object() || c.value("enabled", false) != true) continue;
    if (c.value("healthy", true) == true) out += std::string(component) + " ok";
    else out += "⚠️ " + std::string(component) + ": " + e(text_of(c, "detail"));
    out += "\n";
  }
  const json list = accounts.is_object() ? accounts.value("accounts", json::array()) : json::array();
  if (!list.is_array() || list.empty()) out += "\nNo accounts.\n";
  for (const auto& a : list) {
    const std::string state = text_of(a, "state");
    out += "\n" + state_icon(state) + " <b>" + e(text_of(a, "id")) + "</b> " + e(state);
    const std::string provider = text_of(a, "provider");
    if (!provider.empty()) out += " · " + e(provider);
    if (a.contains("in_flight")) out += " · in-flight " + e(count(a["in_flight"]));
    out += "\n";
    if (state == "cooldown") {
      const std::string until = format_when(a.value("cooldown_until", json()), now);
      if (!until.empty()) {
        out += "  cooldown until " + until;
        const std::string why = text_of(a, "cooldown_reason");
        const std::string detail = text_of(a, "cooldown_detail");
        if (!why.empty()) out += " — " + e(why);
        if (!detail.empty()) out += ": " + e(detail);
        out += "\n";
      }
    }
    const json windows = a.value("windows", json::array());
    for (const auto& w : windows) {
      const double p = window_percent(w);
      out += "  " + e(window_name(w)) + " " + (p < 0 ? std::string("no limit") : percent(p));
      const std::string source = text_of(w, "source");
      if (!source.empty() && source != "config") out += " (" + e(source) + ")";
      if (number_of(w, "reserved") > 0) out += " · reserved " + e(count(w["reserved"]));
      const std::string reset = format_when(w.value("reset_at", json()), now);
      if (!reset.empty()) out += " · reset " + reset;
      out += "\n";
    }
  }
  const json sticky = status.is_object() ? status.value("sticky_routes", json::object()) : json::object();
  if (sticky.is_object() && !sticky.empty()) {
    out += "\n<b>Sticky routes</b>\n";
    for (auto it = sticky.begin(); it != sticky.end(); ++it)
      out += "  " + e(it.key()) + " → " + e(it->is_string() ? it->get<std::string>() : it->dump()) + "\n";
  }
  return out;
}

std::string format_quotas(const json& accounts, TimeMs now) {
  std::string out = "<b>Quotas</b>\n";
  const json list = accounts.is_object() ? accounts.value("accounts", json::array()) : json::array();
  if (!list.is_array() || list.empty()) return out + "No accounts.";
  for (const auto& a : list) {
    out += "\n" + state_icon(text_of(a, "state")) + " <b>" + e(text_of(a, "id")) + "</b>\n";
    const json windows = a.value("windows", json::array());
    if (!windows.is_array() || windows.empty()) out += "  no quota windows known\n";
    for (const auto& w : windows) {
      const double p = window_percent(w);
      out += "  " + e(window_name(w)) + ": " + e(count(w.value("used", json(0))));
      if (number_of(w, "limit") > 0) out += "/" + e(count(w["limit"])) + " (" + percent(p) + ")";
      if (number_of(w, "reserved") > 0) out += " +" + e(count(w["reserved"])) + " reserved";
      const std::string reset = format_when(w.value("reset_at", json()), now);
      if (!reset.empty()) out += " · reset " + reset;
      const std::string source = text_of(w, "source");
      if (!source.empty()) out += " · " + e(source);
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

std::string format_error(const OpResult& r) {
  std::string msg = r.error.empty() ? "request failed (" + std::to_string(r.status) + ")" : r.error;
  return "❌ " + e(msg);
}

std::string format_error(const OpFailure& f) { return "❌ " + e(f.message); }

std::string format_setting(const std::string& key, const json& body) {
  if (key == "thresholds") {
    const json t = body.contains("thresholds") ? body["thresholds"] : body;
    return "<b>Thresholds</b> (percent used)\nwarning " + e(text_of(t, "warning")) + " · switch " +
           e(text_of(t, "switch")) + " · critical " + e(text_of(t, "critical"));
  }
  if (key == "policy") return "<b>Policy</b>: " + e(text_of(body, "policy"));
  if (key == "fallbacks") {
    const json chains = body.contains("fallback_chains") ? body["fallback_chains"] : body;
    if (!chains.is_object() || chains.empty()) return "<b>Fallback chains</b>: none";
    std::string out = "<b>Fallback chains</b>\n";
    for (auto it = chains.begin(); it != chains.end(); ++it) {
      out += "  " + e(it.key()) + " →";
      if (it->is_array())
        for (const auto& m : *it) out += " " + e(m.is_string() ? m.get<std::string>() : m.dump());
      out += "\n";
    }
    return out;
  }
  return "<b>" + e(key) + "</b>: <code>" + e(body.dump()) + "</code>";
}

}  // namespace qg::telegram
