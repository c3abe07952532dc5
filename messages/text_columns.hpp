// messages/text_columns.hpp — rows of cells as left-aligned text columns (terminal tables).
//
// The one table layout of the CLI's text output (`quotaguard quotas`, `forecast`, `simulate`):
// each cell padded to its column's widest, `gap` spaces between columns, one line per row.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace qg {

inline std::string text_columns(const std::vector<std::vector<std::string>>& rows, std::size_t gap = 2,
                                const std::string& indent = "") {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    out += indent;
    for (std::size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size() + gap, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace qg
