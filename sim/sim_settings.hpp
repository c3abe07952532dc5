// sim/sim_settings.hpp — the simulated run's router settings beside the recorded ones: how
// they differ, for the report's "settings differ" line. `simulated_settings` (the options'
// overrides on the settings in force) is declared in simulation.hpp, with SimOptions, and
// defined in sim_settings.cpp. Pure.
#pragma once

#include "quota/router_settings.hpp"

#include <string>

namespace qg::sim {

// The names of the settings that differ ("policy a -> b, thresholds, ..."); empty when none.
std::string settings_difference(const RouterSettings& recorded, const RouterSettings& simulated);

}  // namespace qg::sim
