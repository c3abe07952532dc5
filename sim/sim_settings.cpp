// sim/sim_settings.cpp — see sim_settings.hpp.
#include "sim/sim_settings.hpp"

#include "sim/simulation.hpp"

namespace qg::sim {

RouterSettings simulated_settings(const RouterSettings& in_force, const SimOptions& o) {
  RouterSettings s = o.settings ? *o.settings : in_force;
  if (o.policy) s.policy = *o.policy;
  if (o.thresholds) s.thresholds = *o.thresholds;
  if (o.hysteresis) s.anti_flapping.hysteresis = *o.hysteresis;
  if (o.min_dwell_ms) s.anti_flapping.min_dwell_ms = *o.min_dwell_ms;
  return s;
}

std::string settings_difference(const RouterSettings& rec, const RouterSettings& sim) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (rec.policy != sim.policy) add(std::string("policy ") + to_string(rec.policy) + " -> " + to_string(sim.policy));
  if (!(rec.thresholds == sim.thresholds)) add("thresholds");
  if (!(rec.anti_flapping == sim.anti_flapping)) add("anti_flapping");
  if (rec.fallback_chains != sim.fallback_chains) add("fallback_chains");
  if (rec.all_critical != sim.all_critical) add("all_critical");
  if (rec.route_by_client_key != sim.route_by_client_key) add("route_by_client_key");
  if (!(rec.breaker == sim.breaker)) add("circuit_breaker");
  return out;
}

}  // namespace qg::sim
