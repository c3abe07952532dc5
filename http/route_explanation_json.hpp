// http/route_explanation_json.hpp — the JSON form of a RouteExplanation (GET /api/v1/route,
// `quotaguard route --json`), and the reader the CLI uses on a daemon's answer.
//
// Shape (times are ISO 8601 UTC strings or null):
//   {"model","model_used","fallback","route_key","policy","mode":"normal|drain","at",
//    "chosen": id|null, "targets":[ids], "sticky":{"account","since"}|null,
//    "switch":{"from","to","reason","scores":{id:score}}|null,
//    "thresholds":{"warning","switch","critical","hysteresis"},
//    "candidates":[{"account","model","score","priority","used_percent_after","zone","probe",
//                   "windows":[{"metric","window","limit","used","reserved","remaining",
//                               "used_percent","reset_at","source","rate_per_hour",
//                               "projected_at_reset"}]}],
//    "excluded":[{"account","model","reason","detail"}],
//    "error":{"kind","message","retry_at","retry_after_s"}|null}
#pragma once

#include "messages/route_explanation.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>

namespace qg {

nlohmann::json route_explanation_json(const RouteExplanation& x);

// The explanation a route_explanation_json() document describes; nullopt when `j` is not an
// object. Missing or mistyped members read as empty / zero / absent (never an exception).
std::optional<RouteExplanation> route_explanation_from_json(const nlohmann::json& j);

}  // namespace qg
