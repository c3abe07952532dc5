// messages/civil_time.hpp — the one RFC 3339 parser and printer, and the unix-number rule.
//
// Every timestamp the process reads or writes goes through here: the event codec
// (`ts`, `--since`), rate-limit headers and 429 bodies (http/), CLIProxyAPI auth files and
// quota bodies (cliproxy/), JSON log lines (config/logging). Proleptic Gregorian dates <->
// days since 1970-01-01 (Howard Hinnant's algorithms, valid for any year); no time zone
// database, no locale, no exceptions. Header-only, so the fuzz targets that compile a single
// parser need nothing else.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

// Days since 1970-01-01 of year `y`, month `m` (1..12), day `d` (1..31).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The inverse: the civil date of day `z` since 1970-01-01.
constexpr void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// Milliseconds since the epoch as RFC 3339 UTC: "2026-04-10T09:12:00.123Z".
inline std::string format_utc_ms(std::int64_t t) {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  std::int64_t days = t / kMsPerDay, rem = t % kMsPerDay;
  if (rem < 0) { rem += kMsPerDay; --days; }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3'600'000),
                static_cast<int>(rem / 60'000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

constexpr bool is_leap_year(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// What a caller accepts beyond RFC 3339's date-time ("2026-04-10T09:12:00.5+02:00").
// Always accepted: 't' or ' ' for 'T', 'z' for 'Z', ',' for '.', any number of fraction
// digits (the first three count: milliseconds, truncated), offsets "+HH:MM", "+HHMM", "+HH".
struct TimeTextRules {
  bool date_only = false;         // "2026-04-10" = midnight UTC
  bool seconds_optional = true;   // "2026-04-10T09:12Z"
  bool zone_optional = true;      // no zone = UTC
  std::int64_t min_year = 0;      // earlier years are refused (rate-limit resets: 1970)
};

// An RFC 3339 timestamp as milliseconds since the epoch (UTC); nullopt for anything else,
// impossible dates (Feb 30, Apr 31, Feb 29 of a common year) and out-of-range fields.
// Leading and trailing ASCII spaces are ignored.
inline std::optional<std::int64_t> parse_utc_ms(std::string_view s, const TimeTextRules& rules = {}) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  std::size_t p = 0;
  auto number = [&](std::size_t n, int& out) {
    if (p + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s[p + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    p += n;
    return true;
  };
  auto take = [&](char c) {
    if (p < s.size() && s[p] == c) { ++p; return true; }
    return false;
  };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!number(4, y) || !take('-') || !number(2, mo) || !take('-') || !number(2, d)) return std::nullopt;
  if (y < rules.min_year || mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo))
    return std::nullopt;
  std::int64_t ms = 0, offset_ms = 0;
  if (p == s.size()) {
    if (!rules.date_only) return std::nullopt;
  } else {
    if (!(take('T') || take('t') || take(' '))) return std::nullopt;
    if (!number(2, h) || !take(':') || !number(2, mi)) return std::nullopt;
    if (take(':')) {
      if (!number(2, sec)) return std::nullopt;
    } else if (!rules.seconds_optional) {
      return std::nullopt;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: a leap second
    if (take('.') || take(',')) {
      std::size_t digits = 0;
      for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++digits)
        if (digits < 3) ms = ms * 10 + (s[p] - '0');
      if (digits == 0) return std::nullopt;
      for (std::size_t i = digits; i < 3; ++i) ms *= 10;
    }
    if (take('Z') || take('z')) {
    } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      const int sign = s[p++] == '+' ? 1 : -1;
      int oh, om = 0;
      if (!number(2, oh)) return std::nullopt;
      if (take(':')) {
        if (!number(2, om)) return std::nullopt;
      } else if (p < s.size() && !number(2, om)) {
        return std::nullopt;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offset_ms = sign * (oh * 3'600'000LL + om * 60'000LL);
    } else if (!rules.zone_optional) {
      return std::nullopt;
    }
  }
  if (p != s.size()) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000LL +
         h * 3'600'000LL + mi * 60'000LL + sec * 1000LL + ms - offset_ms;
}

// A unix time as a number: seconds, or milliseconds when above 1e12 (CLIProxyAPI's
// Auth.ExpirationTime, some rate-limit headers). nullopt for <= 0, NaN, infinities and
// values beyond 1e15.
inline std::optional<std::int64_t> unix_number_to_ms(double value) {
  if (!std::isfinite(value) || value <= 0 || value > 1e15) return std::nullopt;
  if (value > 1e12) return static_cast<std::int64_t>(value);
  return static_cast<std::int64_t>(std::llround(value * 1000.0));
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

}  // namespace qg
