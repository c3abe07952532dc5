// telegram/forecast_format.hpp — the forecast as chat text (/qg_forecast, /qg_status pools).
//
// From the typed view (messages/forecast_view.hpp) Operations::forecast answers; HTML-escaped
// like every chat reply (chat_text.hpp), times as "in 1h5m" from the view's `at`.
#pragma once

#include "messages/forecast_view.hpp"

#include <string>

namespace qg::telegram {

// One line per model pool: "⏳ gpt-4o → gpt-4o-mini: runs dry in 42m (until 3h10m)" or
// "✅ claude: not dry before its resets". "" when there are no pools.
std::string format_pool_lines(const ForecastView& f);

// /qg_forecast: the pools, then per account each window's pace, verdict and unused at reset.
std::string format_forecast(const ForecastView& f);

}  // namespace qg::telegram
