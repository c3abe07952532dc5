// sim/plot_svg.hpp — `quotaguard simulate --plot out.svg`: one panel per account, the
// utilisation of its main window (its first window with a limit) over the span, recorded vs
// simulated, with the switch and critical thresholds, the window's resets and the 429s marked.
// A standalone SVG 1.1 document (no script, no external reference) that any browser opens;
// deterministic like the other outputs. Series are thinned to at most a few points per pixel
// column, so a week of traffic stays a small file.
#pragma once

#include "sim/sim_report.hpp"

#include <string>

namespace qg::sim {

std::string plot_svg(const SimReport& r);

}  // namespace qg::sim
