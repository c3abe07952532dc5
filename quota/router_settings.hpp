// quota/router_settings.hpp — the router's tunables: their validation and how they change.
//
// `RouterSettings` (the plain data, messages/settings_view.hpp; its JSON form in
// messages/settings_json.hpp) is what the pure decision code (route_decision.hpp) and the
// circuit breaker (circuit_breaker.hpp) read. It starts from config.yaml `router:` and is
// overridden by the runtime changes recorded as SettingChanged events (keys `router.*`, value =
// JSON text in the settings_json form):
// `apply_setting` parses and validates one such value, `effective_settings` folds all of a
// RouterState's overrides over a base. `validate` returns "field: message" errors, the form the
// admin API (PUT /api/v1/thresholds, /policy, /fallbacks) and Telegram show to the operator.
// Percent thresholds are percent USED of a quota window. Durations are milliseconds.
#pragma once

#include "config/config.hpp"
#include "messages/event.hpp"
#include "messages/settings_json.hpp"
#include "messages/settings_view.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

struct RouterState;

// Every problem as "field: message" (e.g. "thresholds.switch: must be <= critical (95)"); empty
// when the settings are usable.
std::vector<std::string> validate(const RouterSettings& s);

// Applies one `router.*` setting given as JSON. Objects may be partial (missing fields keep
// their value); durations are a number of ms or a string such as "90s", "5m", "6h", "1d"
// (messages/duration.hpp syntax).
// On any error `s` is left unchanged and the errors are returned ("field: message").
std::vector<std::string> apply_setting(RouterSettings& s, std::string_view key,
                                       const nlohmann::json& value);
// Same, with the value as JSON text (SettingChanged.value); unparsable text is an error.
std::vector<std::string> apply_setting_text(RouterSettings& s, std::string_view key,
                                            std::string_view json_text);

// `base` with every `router.*` override in `state.settings` applied in key order; overrides
// that fail to parse or validate are skipped (they were validated before being written).
RouterSettings effective_settings(RouterSettings base, const RouterState& state);

// The settings config.yaml `router:` describes (before runtime overrides).
RouterSettings router_settings_from(const RouterConfig& c);

}  // namespace qg
