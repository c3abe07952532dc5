// telegram/forecast_format.cpp — see forecast_format.hpp.
#include "telegram/forecast_format.hpp"

#include "messages/window_label.hpp"
#include "telegram/chat_format.hpp"
#include "telegram/chat_text.hpp"

#include <cstdio>

namespace qg::telegram {

namespace {

std::string e(std::string_view s) { return html_escape(s); }

std::string fixed(double v, const char* format) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string window_verdict(const WindowForecast& w, TimeMs at) {
  switch (w.verdict) {
    case ForecastVerdict::runs_out: {
      std::string out = "<b>runs out in " + compact_duration(w.exhausts_at - at) + "</b>";
      if (w.short_by_ms > 0) out += " (" + compact_duration(w.short_by_ms) + " before reset)";
      return out;
    }
    case ForecastVerdict::resets_first:
      return "resets first" + (w.unused_at_reset ? ", " + std::to_string(*w.unused_at_reset) + " unused" : std::string());
    case ForecastVerdict::idle:
      return "idle" + (w.unused_at_reset ? ", " + std::to_string(*w.unused_at_reset) + " unused" : std::string());
  }
  return "";
}

}  // namespace

std::string format_pool_lines(const ForecastView& f) {
  std::string out;
  for (const auto& p : f.pools) {
    std::string chain;
    for (const auto& m : p.chain) chain += (chain.empty() ? "" : " → ") + e(m);
    if (p.dry_at > 0) {
      out += "⏳ " + chain + ": <b>runs dry in " + compact_duration(p.dry_at - f.at) + "</b>";
      if (p.dry_until > 0) out += " (until " + compact_duration(p.dry_until - f.at) + " from now)";
    } else {
      out += "✅ " + chain + ": not dry before its resets";
    }
    out += "\n";
  }
  return out;
}

std::string format_forecast(const ForecastView& f) {
  std::string out = "<b>Forecast</b> at the current pace (EWMA, half-life " + compact_duration(f.half_life_ms) +
                    "; pools against critical " + fixed(f.critical_percent, "%.0f") + "%)\n";
  const std::string pools = format_pool_lines(f);
  out += pools.empty() ? "\nNo model pools.\n" : "\n<b>Pools</b>\n" + pools;
  bool any = false;
  for (const auto& a : f.accounts) {
    if (a.windows.empty()) continue;
    if (!any) out += "\n<b>Windows</b>\n";
    any = true;
    out += "<b>" + e(a.id) + "</b> " + e(a.state) + "\n";
    for (const auto& w : a.windows)
      out += "  " + e(std::string(to_string(w.metric)) + "/" + window_label(w.window_s)) + " " +
             fixed(w.used_percent, "%.0f") + "% · " + fixed(w.rate_per_s * 3600.0, "%.1f") + "/h · " +
             window_verdict(w, f.at) + "\n";
  }
  if (!any) out += "\nNo window with a known limit.\n";
  return out;
}

}  // namespace qg::telegram
