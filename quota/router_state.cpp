// quota/router_state.cpp — fold of RouteSwitched and SettingChanged.
#include "quota/router_state.hpp"

namespace qg {

void apply(RouterState& s, const Event& e) {
  if (const auto* sw = std::get_if<RouteSwitched>(&e.payload)) {
    s.sticky[sw->route_key] = StickyRoute{sw->to, e.ts};
    s.last_switch_at = e.ts;
    if (s.sticky.size() > kMaxStickyRoutes) {  // forget the route that switched longest ago
      auto oldest = s.sticky.begin();
      for (auto it = s.sticky.begin(); it != s.sticky.end(); ++it)
        if (it->second.since < oldest->second.since) oldest = it;
      s.sticky.erase(oldest);
    }
  } else if (const auto* set = std::get_if<SettingChanged>(&e.payload)) {
    s.settings[set->key] = SettingValue{set->value, set->source, e.ts};
    if (set->source == "config") {
      s.file_values[set->key] = set->value;
      if (!e.node.empty()) s.node_file_values[e.node][set->key] = set->value;
    }
  }
}

}  // namespace qg
