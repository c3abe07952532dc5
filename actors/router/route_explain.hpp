// actors/router/route_explain.hpp — "why this account?": a decision as a RouteExplanation.
//
// Used by `quotaguard route --model M` (offline) and GET /api/v1/route?model=M (the router
// actor). Run decide() with DecideOptions{.explain = true} first so every candidate and
// exclusion is present. The view is messages/route_explanation.hpp; its JSON is
// http/route_explanation_json.hpp, its text messages/route_explanation_text.hpp.
#pragma once

#include "actors/router/route_decision.hpp"
#include "messages/route_explanation.hpp"

namespace qg {

RouteExplanation explain(const RouteDecision& d, const RouterView& view, const RouterSettings& settings, TimeMs now);

// Seconds to put in Retry-After for a decision that found nothing (at least 1).
std::int64_t retry_after_seconds(const RouteDecision& d, TimeMs now);

}  // namespace qg
