// messages/window_label.hpp — the one text for a quota window's length.
//
// The largest unit that divides the window exactly: 60 s -> "1m", 18000 s -> "5h",
// 86400 s -> "1d", 604800 s -> "7d", 5400 s -> "90m", 90 s -> "90s"; "unknown" when the
// length is not known (0). Used by the admin API, advisory API, /metrics labels, route
// explanations, replay output and Telegram alerts, so one window reads the same everywhere.
#pragma once

#include <cstdint>
#include <string>

namespace qg {

inline std::string window_label(std::int64_t window_s) {
  if (window_s <= 0) return "unknown";
  if (window_s % 86400 == 0) return std::to_string(window_s / 86400) + "d";
  if (window_s % 3600 == 0) return std::to_string(window_s / 3600) + "h";
  if (window_s % 60 == 0) return std::to_string(window_s / 60) + "m";
  return std::to_string(window_s) + "s";
}

}  // namespace qg
