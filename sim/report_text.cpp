// sim/report_text.cpp — the report as terminal tables (see report_output.hpp).
#include "sim/report_output.hpp"

#include "messages/duration.hpp"
#include "messages/civil_time.hpp"
#include "messages/text_columns.hpp"
#include "messages/window_label.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

namespace qg::sim {

namespace {

std::string num(std::int64_t v) { return std::to_string(v); }

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string duration(TimeMs ms) { return ms <= 0 ? "0s" : format_duration(std::chrono::milliseconds(ms)); }

std::string settings_line(const RouterSettings& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g/%g/%g", s.thresholds.warning, s.thresholds.switch_at, s.thresholds.critical);
  char hyst[32];
  std::snprintf(hyst, sizeof hyst, "%g", s.anti_flapping.hysteresis);
  return std::string("policy ") + to_string(s.policy) + ", thresholds " + buf + ", hysteresis " + hyst +
         ", min_dwell " + duration(s.anti_flapping.min_dwell_ms);
}

const WindowStats* find(const std::vector<WindowStats>& ws, const WindowStats& w) {
  for (const auto& x : ws)
    if (x.account == w.account && x.metric == w.metric && x.window_s == w.window_s) return &x;
  return nullptr;
}

std::string unused(const WindowStats* w) {
  if (!w) return "-";
  return num(w->unused_at_reset) + " (" + num(w->resets) + (w->resets == 1 ? " reset)" : " resets)");
}

}  // namespace

std::string report_text(const SimReport& r) {
  std::string out = "simulate: " + format_utc_ms(r.from) + " .. " + format_utc_ms(r.to) + ", " +
                    num(static_cast<std::int64_t>(r.events)) + " events\n";
  out += text_columns({{"settings", "recorded", settings_line(r.recorded_settings)},
                       {"", "simulated", settings_line(r.simulated_settings)}});
  out += '\n';
  const RunStats &a = r.recorded, &b = r.simulated;
  out += text_columns({{"", "RECORDED", "SIMULATED"},
                       {"requests", num(a.requests), num(b.requests)},
                       {"served", num(a.served), num(b.served)},
                       {"refused (429)", num(a.refused), num(b.refused)},
                       {"needed a fallback", num(a.fallback), num(b.fallback)},
                       {"route switches", num(a.switches), num(b.switches)},
                       {"flaps (back within min_dwell)", num(a.flaps), num(b.flaps)}});
  out += '\n';
  std::vector<std::vector<std::string>> windows{
      {"ACCOUNT", "WINDOW", "LIMIT", "PEAK REC", "PEAK SIM", "UNUSED AT RESET REC", "UNUSED AT RESET SIM"}};
  std::vector<const WindowStats*> rows;
  for (const auto& w : a.windows) rows.push_back(&w);
  for (const auto& w : b.windows)
    if (!find(a.windows, w)) rows.push_back(&w);
  for (const WindowStats* w : rows) {
    const WindowStats* x = find(a.windows, *w);
    const WindowStats* y = find(b.windows, *w);
    windows.push_back({w->account, std::string(to_string(w->metric)) + "/" + window_label(w->window_s),
                       num(w->limit), x ? percent(x->peak_percent) : "-", y ? percent(y->peak_percent) : "-",
                       unused(x), unused(y)});
  }
  out += text_columns(windows);
  out += '\n';
  std::vector<std::vector<std::string>> time{
      {"ACCOUNT", "PAST SWITCH REC", "PAST SWITCH SIM", "PAST CRITICAL REC", "PAST CRITICAL SIM"}};
  std::set<std::string> ids;
  for (const auto& [id, t] : a.past_switch_ms) ids.insert(id);
  for (const auto& [id, t] : b.past_switch_ms) ids.insert(id);
  auto at = [](const std::map<std::string, TimeMs>& m, const std::string& id) {
    auto it = m.find(id);
    return duration(it == m.end() ? 0 : it->second);
  };
  for (const auto& id : ids)
    time.push_back({id, at(a.past_switch_ms, id), at(b.past_switch_ms, id), at(a.past_critical_ms, id),
                    at(b.past_critical_ms, id)});
  out += text_columns(time);
  out += '\n';
  if (r.divergences == 0) {
    out += r.settings_as_recorded ? "divergences: 0 (the settings in force reproduce every recorded decision)\n"
                                  : "divergences: 0 (every request lands where it did)\n";
    return out;
  }
  out += "divergences: " + num(r.divergences) + " request(s) placed otherwise than recorded (";
  bool first = true;
  for (const auto& [cause, n] : r.divergence_causes) {
    out += (first ? "" : ", ") + cause + " " + num(n);
    first = false;
  }
  out += ")\n";
  // A what-if places requests otherwise by design: a few examples do; the JSON lists more.
  const bool what_if = r.divergence_causes.size() == 1 && r.divergence_causes.count("settings");
  const std::size_t listed = std::min<std::size_t>(r.first_divergences.size(), what_if ? 3 : kMaxListedDivergences);
  for (std::size_t i = 0; i < listed; ++i) {
    const Divergence& d = r.first_divergences[i];
    out += "  seq " + num(static_cast<std::int64_t>(d.seq)) + " " + format_utc_ms(d.at) + " " + d.model +
           (d.request_id.empty() ? "" : " " + d.request_id) + ": recorded " + d.recorded + ", simulated " +
           d.simulated + " [" + d.cause + "] " + d.detail + "\n";
  }
  if (r.divergences > static_cast<std::int64_t>(listed))
    out += "  ... " + num(r.divergences - static_cast<std::int64_t>(listed)) + " more\n";
  return out;
}

}  // namespace qg::sim
