// actors/router/route_explain.hpp — "why this account?": a decision as JSON and as text.
//
// Used by `quotaguard route --model M [--json]` and GET /api/v1/route?model=M. Run decide()
// with DecideOptions{.explain = true} first so every candidate and exclusion is present.
// JSON shape (times are ISO 8601 UTC strings or null):
//   {"model","model_used","fallback","route_key","policy","mode":"normal|drain","at",
//    "chosen": id|null, "targets":[ids], "sticky":{"account","since"}|null,
//    "switch":{"from","to","reason","scores":{id:score}}|null,
//    "thresholds":{"warning","switch","critical","hysteresis"},
//    "candidates":[{"account","model","score","priority","used_percent_after","zone","probe",
//                   "windows":[{"metric","window","limit","used","reserved","remaining",
//                               "used_percent","reset_at","source","rate_per_hour",
//                               "projected_at_reset"}]}],   (the paced projection, below)
//    "excluded":[{"account","model","reason","detail"}],
//    "error":{"kind","message","retry_at","retry_after_s"}|null}
// Scores are rounded to 2 decimals and percents to 1 so the output is stable to compare.
#pragma once

#include "actors/router/route_decision.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace qg {

nlohmann::json explain_json(const RouteDecision& d, const RouterView& view, const RouterSettings& settings,
                            TimeMs now);

// An explain_json() object as a few human-readable lines (ends with a newline). Works on the
// JSON so the CLI renders a running daemon's answer and its own offline decision alike.
std::string explain_text(const nlohmann::json& explained);

// Seconds to put in Retry-After for a decision that found nothing (at least 1).
std::int64_t retry_after_seconds(const RouteDecision& d, TimeMs now);

}  // namespace qg
