// messages/route_explanation_text.cpp — see route_explanation_text.hpp.
#include "messages/route_explanation_text.hpp"

#include "messages/civil_time.hpp"
#include "messages/window_label.hpp"

#include <cstdio>

namespace qg {

namespace {

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string time_or(TimeMs t, const char* unknown) { return t > 0 ? format_utc_ms(t) : std::string(unknown); }

std::string window_line(const ExplainedWindow& w, bool paced) {
  std::string out = "      " + std::string(to_string(w.metric)) + "/" + window_label(w.window_s) + "  " +
                    fixed(static_cast<double>(w.used), 0) + " used + " + fixed(static_cast<double>(w.reserved), 0) +
                    " reserved of " + (w.limit > 0 ? fixed(static_cast<double>(w.limit), 0) : std::string("?")) +
                    "  resets " + time_or(w.reset_at, "unknown");
  if (paced)  // what paced ranks by
    out += "  pace " + fixed(w.rate_per_hour, 1) + "/h -> " +
           (w.projected_at_reset ? fixed(*w.projected_at_reset, 0) : std::string("?")) + " at reset";
  return out + "\n";
}

}  // namespace

std::string explain_text(const RouteExplanation& x) {
  const auto& t = x.thresholds;
  std::string out = "model " + x.model + "  (policy " + to_string(x.policy) + ", thresholds " +
                    fixed(t.warning, 0) + "/" + fixed(t.switch_at, 0) + "/" + fixed(t.critical, 0) + ", at " +
                    format_utc_ms(x.at) + ")\n";
  if (x.error) {
    out += "no account: " + x.error->kind + " - " + x.error->message + "\n";
    if (x.error->retry_at > 0) out += "earliest reset: " + format_utc_ms(x.error->retry_at) + "\n";
  } else {
    out += "chosen: " + x.chosen.value_or("?");
    if (x.fallback) out += "  (fallback model " + x.model_used.value_or("?") + ")";
    if (x.drain) out += "  (drain: every account is past critical)";
    out += "\n";
    if (x.switched)
      out += "switch: " + (x.switched->from.empty() ? std::string("(none)") : x.switched->from) + " -> " +
             x.switched->to + " (" + x.switched->reason + ")\n";
    else if (x.sticky)
      out += "sticky: kept on " + x.sticky->account + " since " + time_or(x.sticky->since, "?") + "\n";
  }
  if (!x.candidates.empty()) out += "candidates (best first):\n";
  for (const auto& c : x.candidates) {
    out += "  " + c.account + "  score " + fixed(c.score, 2) + "  after " + fixed(c.used_percent_after, 1) +
           "%  zone " + c.zone + (c.probe ? "  (probe)" : "") + "\n";
    for (const auto& w : c.windows) out += window_line(w, x.policy == RoutePolicy::paced);
  }
  if (!x.excluded.empty()) out += "excluded:\n";
  for (const auto& e : x.excluded)
    out += "  " + e.account + "  [" + e.model + "] " + e.reason + ": " + e.detail + "\n";
  return out;
}

}  // namespace qg
