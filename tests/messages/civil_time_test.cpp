// The one RFC 3339 parser/printer (messages/civil_time.hpp) and the rules its callers pick.
#include "messages/civil_time.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace qg;

namespace {
constexpr std::int64_t k20260410 = 1775779200000;  // 2026-04-10T00:00:00Z
}

TEST_CASE("RFC 3339 date-times with Z, offsets, fractions") {
  CHECK(parse_utc_ms("2026-04-10T06:40:59Z") == k20260410 + 24059000);
  CHECK(parse_utc_ms("2026-04-10t06:40:59z") == k20260410 + 24059000);
  CHECK(parse_utc_ms("2026-04-10 06:40:59Z") == k20260410 + 24059000);
  CHECK(parse_utc_ms("2026-04-10T08:40:59.5+02:00") == k20260410 + 24059500);
  CHECK(parse_utc_ms("2026-04-10T08:40:59,5+0200") == k20260410 + 24059500);
  CHECK(parse_utc_ms("2026-04-10T04:40:59.123-02") == k20260410 + 24059123);
  CHECK(parse_utc_ms("  2026-04-10T06:40:59.123456789Z ") == k20260410 + 24059123);
}

TEST_CASE("any number of fraction digits: the first three count, no exception") {
  const std::string tiny = "2026-04-10T06:40:59." + std::string(400, '0') + "1Z";
  CHECK(parse_utc_ms(tiny) == k20260410 + 24059000);
  const std::string nines = "2026-04-10T06:40:59." + std::string(5000, '9') + "Z";
  CHECK(parse_utc_ms(nines) == k20260410 + 24059999);
  CHECK_FALSE(parse_utc_ms("2026-04-10T06:40:59.Z").has_value());
}

TEST_CASE("impossible dates and fields are refused") {
  for (const char* bad : {"2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-04-00T00:00:00Z",
                          "2026-04-10T24:00:00Z", "2026-04-10T23:60:00Z", "2026-04-10T23:59:61Z",
                          "2026-04-10T06:40:59+24:00", "2026-04-10T06:40:59+02:60", "2026-4-10T06:40:59Z",
                          "2026-04-10T06:40:59Zjunk", "yesterday", ""}) {
    INFO(bad);
    CHECK_FALSE(parse_utc_ms(bad).has_value());
  }
  CHECK(parse_utc_ms("2024-02-29T00:00:00Z").has_value());   // leap year
  CHECK(parse_utc_ms("2000-02-29T00:00:00Z").has_value());   // divisible by 400
  CHECK_FALSE(parse_utc_ms("1900-02-29T00:00:00Z").has_value());
}

TEST_CASE("rules: date only, seconds, zone, minimum year") {
  CHECK_FALSE(parse_utc_ms("2026-04-10").has_value());
  TimeTextRules date_only;
  date_only.date_only = true;
  CHECK(parse_utc_ms("2026-04-10", date_only) == k20260410);
  CHECK(parse_utc_ms("2026-04-10T06:40Z") == k20260410 + 24000000);
  CHECK(parse_utc_ms("2026-04-10T06:40:59") == k20260410 + 24059000);  // no zone: UTC
  TimeTextRules strict;
  strict.seconds_optional = false;
  strict.zone_optional = false;
  strict.min_year = 1970;
  CHECK_FALSE(parse_utc_ms("2026-04-10T06:40Z", strict).has_value());
  CHECK_FALSE(parse_utc_ms("2026-04-10T06:40:59", strict).has_value());
  CHECK_FALSE(parse_utc_ms("1969-12-31T23:59:59Z", strict).has_value());
  CHECK(parse_utc_ms("2026-04-10T06:40:59Z", strict) == k20260410 + 24059000);
}

TEST_CASE("the printer and the parser agree") {
  for (std::int64_t t : {std::int64_t{0}, k20260410 + 24059123, std::int64_t{951782400000} /* 2000-02-29 */,
                         std::int64_t{-1}}) {
    INFO(t);
    CHECK(parse_utc_ms(format_utc_ms(t)) == t);
  }
  CHECK(format_utc_ms(k20260410 + 24059123) == "2026-04-10T06:40:59.123Z");
}

TEST_CASE("unix numbers: seconds, or milliseconds above 1e12") {
  CHECK(unix_number_to_ms(1775819520) == 1775819520000);
  CHECK(unix_number_to_ms(1775819520000.0) == 1775819520000);
  CHECK(unix_number_to_ms(1775819520.9) == 1775819520900);
  CHECK_FALSE(unix_number_to_ms(0).has_value());
  CHECK_FALSE(unix_number_to_ms(-5).has_value());
  CHECK_FALSE(unix_number_to_ms(1e300).has_value());
  CHECK_FALSE(unix_number_to_ms(std::nan("")).has_value());
}
