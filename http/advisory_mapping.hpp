// http/advisory_mapping.hpp — translating between the Go QuotaGuard's percent-based JSON and
// QuotaGuard's unit-based windows (docs/COMPAT.md explains each rule).
//
// The Go version described quota as percentages ("estimated_cost_percent", dimensions typed
// RPM/TPM/RPD/TPD); QuotaGuard counts units per window. These pure functions read the account
// JSON that Operations::account() answers (INTERFACE §4 shape) and never touch state:
//   - p percent of an account = p% of the limit of every window with a known limit, rounded
//     up, counted on that window's metric (a `tokens` window takes it as input tokens);
//   - a window's Go dimension type is RPM/TPM (1 minute), RPD/TPD (1 day), else WINDOW, and
//     its `name` is "<metric> <window>" (e.g. "tokens 5h") so nothing is lost.
// Malformed input throws BadField (http/api_support.hpp) naming the field.
#pragma once

#include "messages/account_view.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace qg {

// "RPM", "TPM", "RPD", "TPD" or "WINDOW".
std::string dimension_type(Metric metric, std::int64_t window_s);
// p% of every known-limit window of `account` (p in [0, 100], else BadField naming `field`).
Usage percent_to_usage(const AccountView& account, double percent, const std::string& field);
// The largest share of a known limit `u` takes, in percent (0 with no known limit).
double usage_to_percent(const AccountView& account, const Usage& u);

// The Go QuotaInfo of an account (GET /quotas): dimensions, effective_remaining_percent
// (min over known-limit windows of remaining/limit, reservations already subtracted; 100
// with no known limit), critical_dimension, virtual_used_percent (reserved share of the
// critical window), is_throttled (= cooldown), collected_at/updated_at = `now`.
nlohmann::json quota_info(const AccountView& account, TimeMs now);

// POST /ingest body -> QuotaObserved for `account`. Dimensions map by type (RPM, TPM, RPD,
// TPD; other types need "metric" and "window" members); "used" wins over limit - remaining.
// Without dimensions, effective_remaining_percent sets every known-limit window's used to
// (100 - p)% of its limit. `source` is case-insensitive (HEADERS|POLLING|ESTIMATED, or
// headers|poll|estimated).
QuotaObserved observation_from_ingest(const nlohmann::json& body, const AccountView& account);

// RFC 3339 UTC text of a ms time ("" for 0).
std::string rfc3339(TimeMs t);

}  // namespace qg
