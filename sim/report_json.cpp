// sim/report_json.cpp — the report as JSON (see report_output.hpp; docs/INTERFACE.md).
#include "sim/report_output.hpp"

#include "messages/civil_time.hpp"
#include "messages/window_label.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace qg::sim {

namespace {

using nlohmann::json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

json run_json(const RunStats& s) {
  json windows = json::array();
  for (const auto& w : s.windows)
    windows.push_back({{"account", w.account}, {"metric", to_string(w.metric)}, {"window", window_label(w.window_s)},
                       {"limit", w.limit}, {"peak_percent", round2(w.peak_percent)}, {"resets", w.resets},
                       {"unused_at_reset", w.unused_at_reset}});
  json accounts = json::array();
  for (const auto& [id, t] : s.past_switch_ms) {
    auto c = s.past_critical_ms.find(id);
    accounts.push_back({{"id", id}, {"past_switch_s", t / 1000},
                        {"past_critical_s", c == s.past_critical_ms.end() ? 0 : c->second / 1000}});
  }
  return {{"requests", s.requests}, {"served", s.served}, {"refused", s.refused}, {"fallback", s.fallback},
          {"switches", s.switches}, {"flaps", s.flaps}, {"windows", windows}, {"accounts", accounts}};
}

}  // namespace

std::string report_json(const SimReport& r) {
  json first = json::array();
  for (const auto& d : r.first_divergences)
    first.push_back({{"seq", d.seq}, {"at", format_utc_ms(d.at)}, {"request_id", d.request_id}, {"model", d.model},
                     {"recorded", d.recorded}, {"simulated", d.simulated}, {"cause", d.cause}, {"detail", d.detail}});
  json out = {
      {"span", {{"from", format_utc_ms(r.from)}, {"to", format_utc_ms(r.to)}, {"events", r.events}}},
      {"settings",
       {{"recorded", router_settings_json(r.recorded_settings)}, {"simulated", router_settings_json(r.simulated_settings)},
        {"as_recorded", r.settings_as_recorded}}},
      {"recorded", run_json(r.recorded)},
      {"simulated", run_json(r.simulated)},
      {"divergences", {{"count", r.divergences}, {"causes", r.divergence_causes}, {"first", first}}},
  };
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace qg::sim
