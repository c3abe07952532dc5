// sim/plot_svg.cpp — see plot_svg.hpp.
#include "sim/plot_svg.hpp"

#include "messages/civil_time.hpp"
#include "messages/markup_text.hpp"
#include "messages/window_label.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace qg::sim {

namespace {

constexpr int kWidth = 960, kLeft = 150, kRight = 20, kTop = 56, kPanel = 110, kGap = 26, kStrip = 34;
constexpr const char* kRecorded = "#1f6fb4";
constexpr const char* kSimulated = "#e07b00";

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct Axis {
  TimeMs from, to;
  double x(TimeMs t) const {
    const double span = static_cast<double>(std::max<TimeMs>(1, to - from));
    const double f = std::clamp(static_cast<double>(t - from) / span, 0.0, 1.0);
    return kLeft + f * (kWidth - kLeft - kRight);
  }
};

// A step line (the level holds until the next point), thinned per pixel column to the value
// entering it, its lowest, its highest and the value leaving it.
std::string step_path(const std::vector<PlotPoint>& pts, const Axis& ax, double top, TimeMs end) {
  if (pts.empty()) return {};
  auto y = [&](double p) { return top + kPanel - std::clamp(p, 0.0, 110.0) / 110.0 * kPanel; };
  std::string d;
  auto vertex = [&](double x, double p) {
    d += (d.empty() ? "M" : " L") + fmt(x) + "," + fmt(y(p));
  };
  int column = -1;
  double enter = 0, lo = 0, hi = 0, last = pts.front().percent;
  auto flush = [&] {
    if (column < 0) return;
    vertex(column, enter);
    if (lo != enter) vertex(column, lo);
    if (hi != lo) vertex(column, hi);
    if (last != hi) vertex(column, last);
  };
  for (const auto& p : pts) {
    const int c = static_cast<int>(ax.x(p.at));
    if (c != column) {
      flush();
      column = c;
      enter = last;
      lo = hi = last;
    }
    last = p.percent;
    lo = std::min(lo, last);
    hi = std::max(hi, last);
  }
  flush();
  vertex(ax.x(end), last);
  return d;
}

std::string ticks(const std::vector<TimeMs>& at, const Axis& ax, double y0, double y1, const char* colour) {
  std::string out;
  std::set<int> seen;  // one mark per pixel column
  for (TimeMs t : at) {
    const int x = static_cast<int>(ax.x(t));
    if (!seen.insert(x).second) continue;
    out += "<line x1=\"" + std::to_string(x) + "\" y1=\"" + fmt(y0) + "\" x2=\"" + std::to_string(x) + "\" y2=\"" +
           fmt(y1) + "\" stroke=\"" + colour + "\" stroke-width=\"1.5\"/>";
  }
  return out;
}

}  // namespace

std::string plot_svg(const SimReport& r) {
  std::set<std::string> ids;
  for (const auto& [id, s] : r.recorded.series) ids.insert(id);
  for (const auto& [id, s] : r.simulated.series) ids.insert(id);
  const Axis ax{r.from, std::max(r.to, r.from + 1)};
  const int height = kTop + kStrip + static_cast<int>(ids.size()) * (kPanel + kGap) + 30;
  const double plot_w = kWidth - kLeft - kRight;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
         std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" +
         markup_escape("Main-window utilisation, " + std::string(to_string(r.recorded_settings.policy)) + " (recorded) vs " +
             to_string(r.simulated_settings.policy) + " (simulated)") + "</text>\n";
  out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"38\" fill=\"#555\">" +
         markup_escape(format_utc_ms(r.from) + " .. " + format_utc_ms(r.to)) + "</text>\n";
  // Legend.
  const int lx = kWidth - kRight - 330;
  out += "<line x1=\"" + std::to_string(lx) + "\" y1=\"34\" x2=\"" + std::to_string(lx + 24) +
         "\" y2=\"34\" stroke=\"" + kRecorded + "\" stroke-width=\"2\"/><text x=\"" + std::to_string(lx + 30) +
         "\" y=\"38\">recorded</text>";
  out += "<line x1=\"" + std::to_string(lx + 100) + "\" y1=\"34\" x2=\"" + std::to_string(lx + 124) +
         "\" y2=\"34\" stroke=\"" + kSimulated + "\" stroke-width=\"2\"/><text x=\"" + std::to_string(lx + 130) +
         "\" y=\"38\">simulated</text>";
  out += "<line x1=\"" + std::to_string(lx + 210) + "\" y1=\"28\" x2=\"" + std::to_string(lx + 210) +
         "\" y2=\"40\" stroke=\"#999\" stroke-dasharray=\"3,3\"/><text x=\"" + std::to_string(lx + 216) +
         "\" y=\"38\">reset</text>";
  out += "<text x=\"" + std::to_string(lx + 262) + "\" y=\"38\" fill=\"#c00\">| 429</text>\n";

  // The router's 429s, recorded (upper half) and simulated (lower half) of one strip.
  const double sy = kTop;
  out += "<text x=\"" + std::to_string(kLeft - 8) + "\" y=\"" + fmt(sy + 13) +
         "\" text-anchor=\"end\">429 recorded (" + std::to_string(r.recorded.refused) + ")</text>";
  out += "<text x=\"" + std::to_string(kLeft - 8) + "\" y=\"" + fmt(sy + 29) +
         "\" text-anchor=\"end\">429 simulated (" + std::to_string(r.simulated.refused) + ")</text>";
  out += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + fmt(sy) + "\" width=\"" + fmt(plot_w) +
         "\" height=\"32\" fill=\"#fafafa\" stroke=\"#ddd\"/>";
  out += ticks(r.recorded.refusals, ax, sy + 2, sy + 15, "#c00");
  out += ticks(r.simulated.refusals, ax, sy + 17, sy + 30, "#c00");
  out += "\n";

  int i = 0;
  for (const auto& id : ids) {
    const double top = kTop + kStrip + i++ * (kPanel + kGap) + 14;
    const AccountSeries* rec = r.recorded.series.count(id) ? &r.recorded.series.at(id) : nullptr;
    const AccountSeries* sim = r.simulated.series.count(id) ? &r.simulated.series.at(id) : nullptr;
    const AccountSeries& any = rec ? *rec : *sim;
    auto y = [&](double p) { return top + kPanel - p / 110.0 * kPanel; };
    out += "<g>";
    out += "<text x=\"" + std::to_string(kLeft - 40) + "\" y=\"" + fmt(top + 14) + "\" text-anchor=\"end\" font-weight=\"bold\">" +
           markup_escape(id) + "</text>";
    out += "<text x=\"" + std::to_string(kLeft - 40) + "\" y=\"" + fmt(top + 30) + "\" text-anchor=\"end\" fill=\"#555\">" +
           markup_escape(std::string(to_string(any.metric)) + "/" + window_label(any.window_s)) + "</text>";
    out += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(plot_w) + "\" height=\"" +
           std::to_string(kPanel) + "\" fill=\"none\" stroke=\"#ccc\"/>";
    for (int p : {0, 50, 100})
      out += "<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"" + fmt(y(p) + 4) + "\" text-anchor=\"end\" font-size=\"10\" fill=\"#777\">" +
             std::to_string(p) + "%</text>";
    const double sw = r.simulated_settings.thresholds.switch_at, cr = r.simulated_settings.thresholds.critical;
    out += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + fmt(y(sw)) + "\" x2=\"" + fmt(kLeft + plot_w) + "\" y2=\"" +
           fmt(y(sw)) + "\" stroke=\"#b0b0b0\" stroke-dasharray=\"6,3\"/>";
    out += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + fmt(y(cr)) + "\" x2=\"" + fmt(kLeft + plot_w) + "\" y2=\"" +
           fmt(y(cr)) + "\" stroke=\"#e08080\" stroke-dasharray=\"6,3\"/>";
    if (rec) {
      std::set<int> seen;
      for (TimeMs t : rec->resets) {
        const int x = static_cast<int>(ax.x(t));
        if (!seen.insert(x).second) continue;
        out += "<line x1=\"" + std::to_string(x) + "\" y1=\"" + fmt(top) + "\" x2=\"" + std::to_string(x) + "\" y2=\"" +
               fmt(top + kPanel) + "\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>";
      }
      out += ticks(rec->rate_limited, ax, top, top + 8, "#c00");
    }
    if (rec) out += "<path d=\"" + step_path(rec->points, ax, top, r.to) + "\" fill=\"none\" stroke=\"" + kRecorded + "\" stroke-width=\"1.6\"/>";
    if (sim) out += "<path d=\"" + step_path(sim->points, ax, top, r.to) + "\" fill=\"none\" stroke=\"" + kSimulated + "\" stroke-width=\"1.6\" stroke-dasharray=\"5,2\"/>";
    out += "</g>\n";
  }
  // Time axis under the last panel.
  const double base = kTop + kStrip + static_cast<double>(ids.size()) * (kPanel + kGap) + 4;
  for (int k = 0; k <= 4; ++k) {
    const TimeMs t = r.from + (std::max<TimeMs>(1, r.to - r.from)) * k / 4;
    const std::string label = format_utc_ms(t).substr(5, 11);  // MM-DDTHH:MM
    const char* anchor = k == 0 ? "start" : k == 4 ? "end" : "middle";
    out += "<text x=\"" + fmt(ax.x(t)) + "\" y=\"" + fmt(base) + "\" text-anchor=\"" + anchor + "\" font-size=\"10\" fill=\"#555\">" +
           markup_escape(label) + "</text>";
  }
  out += "\n</svg>\n";
  return out;
}

}  // namespace qg::sim
