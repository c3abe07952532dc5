// messages/settings_json.hpp — the JSON form of the router settings (messages/settings_view.hpp).
//
// One form for every place that writes them: the admin API's settings routes and
// GET /api/v1/status `settings` (http/), the value of a SettingChanged event (quota/: the
// router normalises what it records to it, config sync writes config.yaml's settings in it;
// docs/EVENT_LOG.md) — the shape quota/router_settings `apply_setting` reads back. Durations
// are written as text ("5m", messages/duration.hpp), percents as JSON numbers.
#pragma once

#include "messages/settings_view.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string_view>

namespace qg {

// The current value of one `router.*` key; null for an unknown key.
nlohmann::json setting_json(const RouterSettings& s, std::string_view key);
// All keys as one object {"policy":..., "thresholds":..., ...} (status, export).
nlohmann::json router_settings_json(const RouterSettings& s);

}  // namespace qg
