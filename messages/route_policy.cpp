// messages/route_policy.cpp — see route_policy.hpp.
#include "messages/route_policy.hpp"

#include <array>
#include <utility>

namespace qg {
namespace {

constexpr std::array<std::pair<RoutePolicy, const char*>, 6> kPolicy{{{RoutePolicy::balanced, "balanced"},
                                                                       {RoutePolicy::max_remaining, "max_remaining"},
                                                                       {RoutePolicy::fill_first, "fill_first"},
                                                                       {RoutePolicy::earliest_reset, "earliest_reset"},
                                                                       {RoutePolicy::round_robin, "round_robin"},
                                                                       {RoutePolicy::paced, "paced"}}};

}  // namespace

const char* to_string(RoutePolicy v) {
  for (const auto& [value, name] : kPolicy)
    if (value == v) return name;
  return "?";
}

const char* to_string(AllCritical v) { return v == AllCritical::reject ? "reject" : "drain"; }

std::optional<RoutePolicy> policy_from_string(std::string_view s) {
  for (const auto& [value, name] : kPolicy)
    if (s == name) return value;
  return std::nullopt;
}

std::optional<AllCritical> all_critical_from_string(std::string_view s) {
  if (s == "drain") return AllCritical::drain;
  if (s == "reject") return AllCritical::reject;
  return std::nullopt;
}

}  // namespace qg
