// cli/forecast_text.cpp — see forecast_text.hpp.
#include "cli/forecast_text.hpp"

#include "messages/duration.hpp"
#include "messages/civil_time.hpp"
#include "messages/text_columns.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

namespace qg::cli {

using nlohmann::json;

namespace {

// "1h5m" from milliseconds, to the second (never negative).
std::string span(TimeMs ms) {
  return format_duration(std::chrono::milliseconds(std::max<TimeMs>(0, ms) / 1000 * 1000));
}

TimeMs time_of(const json& v) {
  if (!v.is_string()) return 0;
  return parse_utc_ms(v.get<std::string>()).value_or(0);
}

std::string in_time(const json& v, TimeMs now) {
  const TimeMs t = time_of(v);
  return t > 0 ? "in " + span(t - now) : "-";
}

std::string number(const json& v, const char* format) {
  if (!v.is_number()) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v.get<double>());
  return buf;
}

}  // namespace

std::string forecast_cell(const json& f, TimeMs now) {
  if (!f.is_object()) return "-";
  const std::string verdict = f.value("verdict", "");
  if (verdict == "runs_out") {
    std::string out = "runs out " + in_time(f.value("exhausts_at", json()), now);
    if (f.value("short_by_s", json()).is_number())
      out += " (" + span(f["short_by_s"].get<TimeMs>() * 1000) + " before reset)";
    return out;
  }
  if (verdict == "resets_first") {
    std::string out = "resets first";
    if (f.value("unused_at_reset", json()).is_number())
      out += ", " + std::to_string(f["unused_at_reset"].get<std::int64_t>()) + " unused";
    return out;
  }
  return verdict.empty() ? "-" : verdict;
}

std::string forecast_text(const json& f, TimeMs now) {
  std::string out = "at the current pace (burn rate: EWMA of committed usage, half-life " +
                    span(f.value("half_life_s", 0) * 1000) + "; pools against critical " +
                    number(f.value("critical_percent", json()), "%.0f") + "%)\n\n";
  std::vector<std::vector<std::string>> pools = {{"MODEL", "CHAIN", "POOL", "ACCOUNTS"}};
  for (const auto& p : f.value("pools", json::array())) {
    std::string chain, members;
    for (const auto& m : p.value("chain", json::array())) chain += (chain.empty() ? "" : " > ") + m.get<std::string>();
    for (const auto& a : p.value("accounts", json::array())) {
      if (!members.empty()) members += ", ";
      members += a.value("id", "") + ": " +
                 (time_of(a.value("critical_at", json())) > 0 ? "critical " + in_time(a["critical_at"], now) : "ok");
    }
    std::string pool = "does not run dry before its resets";
    if (time_of(p.value("dry_at", json())) > 0) {
      pool = "runs dry " + in_time(p["dry_at"], now);
      if (time_of(p.value("dry_until", json())) > 0) pool += " until " + p["dry_until"].get<std::string>();
    }
    pools.push_back({p.value("model", ""), chain, pool, members.empty() ? "-" : members});
  }
  out += pools.size() > 1 ? text_columns(pools) : "no model pools\n";
  out += "\n";
  std::vector<std::vector<std::string>> windows = {{"ACCOUNT", "METRIC", "WINDOW", "USED%", "RATE/H", "VERDICT", "UNUSED AT RESET"}};
  for (const auto& a : f.value("accounts", json::array()))
    for (const auto& w : a.value("windows", json::array()))
      windows.push_back({a.value("id", ""), w.value("metric", ""), w.value("window", ""),
                         number(w.value("used_percent", json()), "%.1f"),
                         number(w.value("rate_per_hour", json()), "%.1f"), forecast_cell(w, now),
                         w.value("unused_at_reset", json()).is_number()
                             ? std::to_string(w["unused_at_reset"].get<std::int64_t>()) +
                                   (w.value("unused_ratio", json()).is_number()
                                        ? " (" + number(json(w["unused_ratio"].get<double>() * 100), "%.0f") + "%)"
                                        : "")
                             : "-"});
  out += windows.size() > 1 ? text_columns(windows) : "no window with a known limit\n";
  return out;
}

}  // namespace qg::cli
