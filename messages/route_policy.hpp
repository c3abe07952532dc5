// messages/route_policy.hpp — the router's policy and all-critical mode, and their names.
//
// Plain enums every layer shares: config.yaml `router.policy` / `router.all_critical`
// (config/), the router's settings (messages/settings_view.hpp, validated in quota/), the
// decision code (actors/router/) and the front ends that show them. Depends on the standard
// library only.
#pragma once

#include <optional>
#include <string_view>

namespace qg {

enum class RoutePolicy { balanced, max_remaining, fill_first, earliest_reset, round_robin, paced };
// What to do when every account is past `critical`: keep serving the least used (drain) or refuse.
enum class AllCritical { drain, reject };

// Names as written in YAML, JSON and chat ("fill_first"); from_string: nullopt for other text.
const char* to_string(RoutePolicy v);
const char* to_string(AllCritical v);
std::optional<RoutePolicy> policy_from_string(std::string_view s);
std::optional<AllCritical> all_critical_from_string(std::string_view s);

}  // namespace qg
