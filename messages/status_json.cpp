// messages/status_json.cpp — see status_json.hpp.
#include "messages/status_json.hpp"

#include "messages/civil_time.hpp"
#include "messages/settings_json.hpp"

namespace qg {

using nlohmann::json;

nlohmann::json status_view_json(const StatusView& s) {
  json components = json::object();
  for (const auto& [name, h] : s.components) {
    components[name] = {{"enabled", h.enabled}, {"healthy", h.healthy}, {"detail", h.detail},
                        {"last_ok", h.last_ok > 0 ? json(format_utc_ms(h.last_ok)) : json(nullptr)}};
  }
  for (auto name : {"collector", "telegram"})
    if (!components.contains(name))
      components[name] = {{"enabled", false}, {"healthy", true}, {"detail", "not running"}};
  json nodes = json::array();
  for (const auto& n : s.cluster.nodes)
    nodes.push_back({{"node", n.node}, {"address", n.address}, {"started", format_utc_ms(n.started)},
                     {"last_seen", format_utc_ms(n.last_seen)}, {"live", n.live}, {"duties", n.duties}});
  return {{"version", s.version},
          {"uptime_s", s.uptime_s},
          {"ready", s.ready},
          {"journal_seq", s.journal_seq},
          {"snapshot_seq", s.snapshot_seq},
          {"accounts", s.accounts},
          {"accounts_by_state", s.accounts_by_state},
          {"open_reservations", s.open_reservations},
          {"sticky_routes", s.sticky_routes},
          {"settings", s.settings ? router_settings_json(*s.settings) : json(nullptr)},
          {"collector", components["collector"]},
          {"telegram", components["telegram"]},
          {"components", components},
          {"cluster", {{"backend", s.cluster.backend}, {"node", s.cluster.node}, {"duties", s.cluster.duties},
                       {"nodes", nodes}}}};
}

}  // namespace qg
