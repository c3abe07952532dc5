// messages/forecast_json.hpp — the JSON form of qg::ForecastView (the edge: admin API, CLI).
//
// GET /api/v1/forecast and `quotaguard forecast --json`:
//   {"at","half_life_s","critical_percent",
//    "accounts":[{"id","state","critical_at","recovers_at",
//      "windows":[{"metric","window","window_s","limit","used","used_percent","reset_at",
//                  "rate_per_s","rate_per_hour","verdict","exhausts_at","exhaustion_s",
//                  "short_by_s","projected_at_reset","unused_at_reset","unused_ratio",
//                  "critical_at"}]}],
//    "pools":[{"model","chain":[...],"accounts":[{"id","critical_at","recovers_at"}],
//              "dry_at","dry_in_s","dry_until"}]}
// Times are RFC 3339 UTC or null; docs/ADMIN_API.md "Forecast" documents each field.
// `window_forecast_json` is the short form each window of GET /api/v1/accounts carries as
// `forecast` ({"verdict","exhausts_at","short_by_s","unused_at_reset","rate_per_hour"}).
#pragma once

#include "messages/forecast_view.hpp"

#include <nlohmann/json_fwd.hpp>

namespace qg {

nlohmann::json forecast_to_json(const ForecastView& v);
nlohmann::json window_forecast_json(const WindowForecast& w, TimeMs at);

// Adds `forecast` to every window of `accounts` (INTERFACE §4 account objects, matched by id,
// metric and window label) that `v` forecasts.
void attach_window_forecasts(nlohmann::json& accounts, const ForecastView& v);

}  // namespace qg
