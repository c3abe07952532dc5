// cliproxy/time_parse.cpp — see time_parse.hpp.
#include "cliproxy/time_parse.hpp"

#include "messages/civil_time.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace qg::cliproxy {

std::optional<TimeMs> parse_time_text(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  bool numeric = true;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') numeric = false;
  if (numeric) {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    return unix_number_to_ms(v);
  }
  return parse_utc_ms(text);  // seconds and zone optional (UTC)
}

std::string format_time_utc(TimeMs t) { return format_utc_ms(t); }

}  // namespace qg::cliproxy
