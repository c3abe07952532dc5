// messages/route_explanation.hpp — the router's explanation of the decision it would take now
// (GET /api/v1/route, `quotaguard route`): the JSON document actors/router/route_explain.cpp
// builds once (docs/ROUTING.md §7 "Explain"); shared, never parsed again.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>

namespace qg {

using RouteExplanation = std::shared_ptr<const nlohmann::json>;

}  // namespace qg
