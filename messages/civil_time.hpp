// messages/civil_time.hpp — proleptic Gregorian dates <-> days since 1970-01-01 (UTC), for
// every parser and printer of timestamps (event codec, rate-limit headers, CLIProxyAPI
// quota bodies). Howard Hinnant's algorithms, valid for any year; no time zone, no locale.
// Header-only, so the fuzz targets that compile a single parser need nothing else.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

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

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);

}  // namespace qg
