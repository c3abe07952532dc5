// messages/duration.cpp — see duration.hpp.
//
// Exact integer arithmetic in nanoseconds (as Go does): the whole part times the unit, plus the
// fraction's digits scaled by the unit; the total then rounds away from zero to milliseconds.
#include "messages/duration.hpp"
#include "messages/ascii_text.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace qg {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ns;
};
constexpr std::int64_t kMs = 1'000'000;
// Longest names first so "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {{"ns", 1},
                           {"us", 1'000},
                           {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
                           {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
                           {"ms", kMs},
                           {"s", 1'000 * kMs},
                           {"m", 60'000 * kMs},
                           {"h", 3'600'000 * kMs},
                           {"d", 86'400'000 * kMs},
                           {"w", 604'800'000 * kMs}};
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim_space(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::milliseconds{0};
  if (text.empty()) return std::nullopt;
  std::int64_t total_ns = 0;
  while (!text.empty()) {
    // Whole part.
    std::int64_t whole = 0;
    std::size_t i = 0;
    bool overflow = false;
    while (i < text.size() && is_digit(text[i])) {
      const int digit = text[i] - '0';
      if (whole > (kMax - digit) / 10) overflow = true;
      else whole = whole * 10 + digit;
      ++i;
    }
    const std::size_t whole_digits = i;
    // Fraction: keep up to 18 digits (more cannot change a nanosecond total of any unit <= 1w
    // by more than rounding); the rest must still be digits.
    std::int64_t fraction = 0, scale = 1;
    std::size_t fraction_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && is_digit(text[i])) {
        if (scale < 1'000'000'000'000'000'000LL) {
          fraction = fraction * 10 + (text[i] - '0');
          scale *= 10;
        }
        ++fraction_digits;
        ++i;
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) return std::nullopt;
    if (overflow) return std::nullopt;
    text.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit->name.size());
    if (whole > kMax / unit->ns) return std::nullopt;
    std::int64_t part = whole * unit->ns;
    if (fraction > 0) {
      // fraction / scale * unit, exactly enough: long double keeps 64 bits of mantissa.
      const long double extra = static_cast<long double>(fraction) *
                                static_cast<long double>(unit->ns) / static_cast<long double>(scale);
      if (extra > static_cast<long double>(kMax - part)) return std::nullopt;
      part += static_cast<std::int64_t>(extra);
    }
    if (part > kMax - total_ns) return std::nullopt;
    total_ns += part;
  }
  std::int64_t ms = total_ns / kMs + (total_ns % kMs != 0 ? 1 : 0);
  return std::chrono::milliseconds{negative ? -ms : ms};
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t rest = d.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out = "-";
    rest = -rest;
  }
  // Days are the largest unit written: "7d" reads better than "1w".
  for (std::size_t k : {8u, 7u, 6u, 5u, 4u}) {
    const std::int64_t unit_ms = kUnits[k].ns / kMs;
    if (rest >= unit_ms) {
      out += std::to_string(rest / unit_ms);
      out += kUnits[k].name;
      rest %= unit_ms;
    }
  }
  return out;
}

}  // namespace qg
