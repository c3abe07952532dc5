// messages/ascii_text.hpp — the two small text helpers every parser wants: trimming ASCII
// whitespace and ASCII lower-casing (header names, enum words, units). Locale-free in effect
// (bytes >= 0x80 pass through), header-only so single-parser fuzz targets need nothing else.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace qg {

// std::isspace in the "C" locale (space, \t, \n, \v, \f, \r), without a call per byte.
constexpr bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline std::string_view trim_space(std::string_view s) {
  while (!s.empty() && ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

// Whether `s` holds a CR or LF (a header with one would split an HTTP message), and with `nul`
// a NUL byte too. One pass: string_view::find_first_of calls memchr for every byte of `s`.
constexpr bool has_line_break(std::string_view s, bool nul = false) {
  for (char c : s)
    if (c == '\r' || c == '\n' || (nul && c == '\0')) return true;
  return false;
}

// 'A'..'Z' to 'a'..'z', every other byte as it is: std::tolower in the "C" locale, without a
// call per byte (header names are compared on every proxied request).
constexpr char ascii_lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower_char(c);
  return out;
}

}  // namespace qg
