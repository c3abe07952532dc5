// config/duration.cpp — see duration.hpp.
#include "config/duration.hpp"
#include "messages/ascii_text.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace qg {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000},
                           {"d", 86'400'000}, {"w", 604'800'000}};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim_space(text);
  if (text == "0") return std::chrono::milliseconds{0};
  if (text.empty()) return std::nullopt;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  while (!text.empty()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      int digit = text[digits] - '0';
      if (number > (kMax - digit) / 10) return std::nullopt;
      number = number * 10 + digit;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit->name.size());
    if (number > (kMax - total) / unit->ms) return std::nullopt;
    total += number * unit->ms;
  }
  return std::chrono::milliseconds{total};
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
  for (const Unit& u : {kUnits[4], kUnits[3], kUnits[2], kUnits[1], kUnits[0]}) {
    if (rest >= u.ms) {
      out += std::to_string(rest / u.ms);
      out += u.name;
      rest %= u.ms;
    }
  }
  return out;
}

}  // namespace qg
