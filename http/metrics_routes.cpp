// http/metrics_routes.cpp — see metrics_routes.hpp.
#include "http/metrics_routes.hpp"
#include "messages/window_label.hpp"

#include "metrics/quotaguard_metrics.hpp"

#include <httplib.h>

#include <algorithm>
#include <map>

namespace qg {

void refresh_state_metrics(const std::vector<AccountView>& accounts) {
  using metrics::LabelValues;
  // A config window and an observed window can share metric and length: export the tighter.
  std::map<LabelValues, double> ratios;
  std::map<std::string, double> by_state = {
      {"active", 0}, {"draining", 0}, {"cooldown", 0}, {"disabled", 0}, {"exhausted", 0}};
  double open = 0;
  for (const auto& a : accounts) {
    by_state[a.state] += 1;
    open += static_cast<double>(a.in_flight);
    for (const auto& w : a.windows) {
      if (w.limit <= 0) continue;
      const double ratio = static_cast<double>(w.used + w.reserved) / static_cast<double>(w.limit);
      auto [it, fresh] = ratios.emplace(LabelValues{a.id, to_string(w.metric), window_label(w.window_s)}, ratio);
      if (!fresh) it->second = std::max(it->second, ratio);
    }
  }
  metrics::quota_used_ratio().replace({ratios.begin(), ratios.end()});
  std::vector<std::pair<LabelValues, double>> states;
  for (const auto& [state, n] : by_state) states.push_back({{state}, n});
  metrics::accounts_by_state().replace(std::move(states));
  metrics::cooldowns_active().replace({{{}, by_state["cooldown"]}});
  metrics::open_reservations().replace({{{}, open}});
}

void refresh_forecast_metrics(const ForecastView& forecast) {
  using metrics::LabelValues;
  std::map<LabelValues, double> exhaustion, unused;
  for (const auto& a : forecast.accounts) {
    for (const auto& w : a.windows) {
      const LabelValues labels{a.id, to_string(w.metric), window_label(w.window_s)};
      if (w.verdict == ForecastVerdict::runs_out && w.exhausts_at > 0) {
        const double s = static_cast<double>(std::max<TimeMs>(0, w.exhausts_at - forecast.at)) / 1000.0;
        auto [it, fresh] = exhaustion.emplace(labels, s);
        if (!fresh) it->second = std::min(it->second, s);
      }
      if (w.unused_at_reset && w.limit > 0) {
        const double r = static_cast<double>(*w.unused_at_reset) / static_cast<double>(w.limit);
        auto [it, fresh] = unused.emplace(labels, r);
        if (!fresh) it->second = std::min(it->second, r);
      }
    }
  }
  metrics::quota_exhaustion_seconds().replace({exhaustion.begin(), exhaustion.end()});
  metrics::quota_unused_at_reset_ratio().replace({unused.begin(), unused.end()});
}

void register_metrics_routes(httplib::Server& server, Operations& ops) {
  metrics::register_quotaguard_metrics();
  server.Get("/metrics", [&ops](const httplib::Request&, httplib::Response& res) {
    try {
      refresh_state_metrics(ops.accounts());
      refresh_forecast_metrics(ops.forecast());
    } catch (const std::exception&) {
      // State families keep their previous values; the rest still renders.
    }
    res.status = 200;
    res.set_content(metrics::registry().render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace qg
