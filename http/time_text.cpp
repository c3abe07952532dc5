// http/time_text.cpp — see time_text.hpp.
#include "http/time_text.hpp"
#include "messages/duration.hpp"
#include "messages/ascii_text.hpp"

#include "messages/civil_time.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace qg {
namespace {


bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool valid_civil(int y, int mo, int d, int h, int mi, int sec) {
  return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 &&
         static_cast<unsigned>(d) <= days_in_month(y, static_cast<unsigned>(mo)) && h >= 0 && h <= 23 &&
         mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60;
}

TimeMs to_ms(int y, int mo, int d, int h, int mi, int sec) {
  return (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
          h * 3600 + mi * 60 + sec) * 1000;
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
  text = trim_space(text);
  if (text.empty()) return std::nullopt;
  bool digit = false, dot = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) digit = true;
    else if (c == '.' && !dot) dot = true;
    else if (c == '-' && i == 0) continue;
    else return std::nullopt;
  }
  if (!digit || text.size() > 40) return std::nullopt;
  if (!dot && text[0] != '-' && text.size() <= 15) {
    // Digits only (a rate-limit count): the integer, exactly as strtod gives it (below 2^53),
    // without strtod's copy and its locale work (~600 instructions, four a proxied reply).
    std::int64_t n = 0;
    for (char c : text) n = n * 10 + (c - '0');
    return static_cast<double>(n);
  }
  double v = std::strtod(std::string(text).c_str(), nullptr);  // no exceptions
  // Beyond ~1e15 no rate-limit quantity or timestamp makes sense; refusing it here keeps
  // every later double -> int64 conversion in range.
  if (!std::isfinite(v) || std::fabs(v) > 1e15) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_go_duration_ms(std::string_view text) {
  text = trim_space(text);
  if (text.empty()) return std::nullopt;
  if (auto plain = parse_number(text)) {  // Retry-After style: bare seconds
    if (*plain < 0) return std::nullopt;
    return static_cast<std::int64_t>(std::ceil(*plain * 1000.0));
  }
  auto d = parse_duration(text);  // the one duration parser (messages/duration.hpp)
  if (!d || d->count() < 0) return std::nullopt;
  return d->count();
}

std::optional<TimeMs> parse_rfc3339_ms(std::string_view s) {
  TimeTextRules rules;
  rules.seconds_optional = false;
  rules.zone_optional = false;
  rules.min_year = 1970;
  return parse_utc_ms(s, rules);
}

std::optional<TimeMs> parse_http_date_ms(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  s = trim_space(s);
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s.substr(26) != "GMT") return std::nullopt;
  int d, y, h, mi, sec, mo = 0;
  for (int k = 0; k < 12; ++k)
    if (s.substr(8, 3) == months[k]) mo = k + 1;
  if (mo == 0 || !read_int(s, 5, 2, d) || !read_int(s, 12, 4, y) || !read_int(s, 17, 2, h) ||
      !read_int(s, 20, 2, mi) || !read_int(s, 23, 2, sec) || !valid_civil(y, mo, d, h, mi, sec))
    return std::nullopt;
  return to_ms(y, mo, d, h, mi, sec);
}

std::optional<TimeMs> parse_unix_time_ms(std::string_view text) {
  auto n = parse_number(text);
  return n ? unix_number_to_ms(*n) : std::nullopt;
}

}  // namespace qg
