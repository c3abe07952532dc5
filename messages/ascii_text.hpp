// messages/ascii_text.hpp — the two small text helpers every parser wants: trimming ASCII
// whitespace and ASCII lower-casing (header names, enum words, units). Locale-free in effect
// (bytes >= 0x80 pass through), header-only so single-parser fuzz targets need nothing else.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace qg {

inline std::string_view trim_space(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace qg
