// quota/router_state.cpp — fold of RouteSwitched and SettingChanged.
#include "quota/router_state.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace qg {

namespace {

// Erases the `n` routes that switched longest ago (ties: the smaller key first).
void forget_oldest(std::map<std::string, StickyRoute>& sticky, std::size_t n) {
  using It = std::map<std::string, StickyRoute>::iterator;
  std::vector<It> order;
  order.reserve(sticky.size());
  for (auto it = sticky.begin(); it != sticky.end(); ++it) order.push_back(it);
  auto older = [](It a, It b) {
    return a->second.since != b->second.since ? a->second.since < b->second.since : a->first < b->first;
  };
  if (n < order.size()) std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), older);
  else n = order.size();
  for (std::size_t i = 0; i < n; ++i) sticky.erase(order[i]);
}

}  // namespace

void apply(RouterState& s, const Event& e) {
  if (const auto* sw = std::get_if<RouteSwitched>(&e.payload)) {
    s.sticky[sw->route_key] = StickyRoute{sw->to, e.ts};
    s.last_switch_at = e.ts;
    if (s.sticky.size() > kMaxStickyRoutes) forget_oldest(s.sticky, s.sticky.size() - (kMaxStickyRoutes - kStickyTrim));
  } else if (const auto* set = std::get_if<SettingChanged>(&e.payload)) {
    s.settings[set->key] = SettingValue{set->value, set->source, e.ts};
    if (set->source == "config") {
      s.file_values[set->key] = set->value;
      if (!e.node.empty()) s.node_file_values[e.node][set->key] = set->value;
    }
  }
}

}  // namespace qg
