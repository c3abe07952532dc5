// sim/report_output.hpp — a SimReport as text (tables) or as JSON, and as an SVG (plot_svg.hpp).
//
// Deterministic: the output depends on the report only (numbers with fixed decimals, accounts
// and windows in a fixed order), so the same log and flags give byte-identical output.
// The JSON shape is documented in docs/INTERFACE.md (`quotaguard simulate --json`).
#pragma once

#include "sim/sim_report.hpp"

#include <string>

namespace qg::sim {

std::string report_text(const SimReport& r);
std::string report_json(const SimReport& r);  // one object, then a newline

}  // namespace qg::sim
