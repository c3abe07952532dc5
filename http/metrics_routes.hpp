// http/metrics_routes.hpp — GET /metrics, Prometheus text format, no auth.
//
// Before rendering, the [scrape] families of metrics/quotaguard_metrics.hpp (quota used
// ratio per window, open reservations, active cooldowns, accounts by state, the forecast's
// exhaustion seconds and unused-at-reset ratio) are refreshed from Operations::accounts() and
// forecast() (neither makes the journal commit). Label values are account ids, model names,
// metrics, windows, states and statuses: never a credential.
#pragma once

#include "messages/operations.hpp"

#include <vector>

namespace httplib {
class Server;
}

namespace qg {

// Sets the [scrape] families from an accounts() answer (open reservations: the sum of in_flight).
void refresh_state_metrics(const std::vector<AccountView>& accounts);

// Sets quotaguard_quota_exhaustion_seconds and quotaguard_quota_unused_at_reset_ratio from a
// forecast (the soonest / smallest when a config and an observed window share a label).
void refresh_forecast_metrics(const ForecastView& forecast);

// Registers GET /metrics (and every QuotaGuard metric family). `ops` must outlive the server.
void register_metrics_routes(httplib::Server& server, Operations& ops);

}  // namespace qg
