// messages/route_explanation_text.hpp — a RouteExplanation as a few lines for people
// (`quotaguard route`, for a running daemon's answer and an offline decision alike).
#pragma once

#include "messages/route_explanation.hpp"

#include <string>

namespace qg {

// Ends with a newline: the model line (policy, thresholds, time), the choice or the refusal,
// the switch or sticky route, each candidate with its windows (and its pace under `paced`),
// each excluded account with its reason.
std::string explain_text(const RouteExplanation& x);

}  // namespace qg
