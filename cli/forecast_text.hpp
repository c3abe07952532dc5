// cli/forecast_text.hpp — the forecast as text for the terminal (`quotaguard forecast`, the
// FORECAST column of `quotaguard quotas`), from its JSON form (messages/forecast_json.hpp),
// so the daemon's answer and the offline rebuild print alike.
#pragma once

#include "messages/event.hpp"
#include "messages/text_columns.hpp"  // text_columns, for the tables

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace qg::cli {

// One window's `forecast` object: "runs out in 1h5m (40m before reset)", "resets first,
// 120 unused", "idle".
std::string forecast_cell(const nlohmann::json& forecast, TimeMs now);

// GET /api/v1/forecast's answer as two tables: model pools, then windows.
std::string forecast_text(const nlohmann::json& forecast, TimeMs now);

}  // namespace qg::cli
