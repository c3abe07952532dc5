// Durations as written in config.yaml: parse and format.
#include "messages/duration.hpp"

#include <doctest/doctest.h>

using namespace std::chrono;
using qg::format_duration;
using qg::parse_duration;

TEST_CASE("durations: every unit and combinations parse") {
  CHECK(parse_duration("500ms") == milliseconds{500});
  CHECK(parse_duration("30s") == seconds{30});
  CHECK(parse_duration("5m") == minutes{5});
  CHECK(parse_duration("1h") == hours{1});
  CHECK(parse_duration("1d") == hours{24});
  CHECK(parse_duration("7d") == hours{24 * 7});
  CHECK(parse_duration("2w") == hours{24 * 14});
  CHECK(parse_duration("1h30m") == minutes{90});
  CHECK(parse_duration("1m30s500ms") == milliseconds{90'500});
  CHECK(parse_duration(" 10s ") == seconds{10});
  CHECK(parse_duration("0") == milliseconds{0});
  CHECK(parse_duration("0s") == milliseconds{0});
}

TEST_CASE("durations: malformed text is refused") {
  for (const char* bad : {"", "s", "10", "10x", "5 s", "1h 30m", "m5", "5sec", ".s", "1.s.",
                          "--5s", "+-5s", "1..5s", "1.5", "-", "5S", "1e3s", "1h-5m",
                          "99999999999999999999s", "106751991167301d", "2562048h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("durations: Go's time.ParseDuration syntax is accepted (issue 16 item 5)") {
  CHECK(parse_duration("1.5s") == milliseconds{1500});
  CHECK(parse_duration("1.5h") == minutes{90});
  CHECK(parse_duration(".5s") == milliseconds{500});
  CHECK(parse_duration("1.s") == seconds{1});
  CHECK(parse_duration("2h45m30.5s") == milliseconds{(2 * 3600 + 45 * 60 + 30) * 1000 + 500});
  CHECK(parse_duration("1h30m") == minutes{90});
  CHECK(parse_duration("53.417207s") == milliseconds{53'418});  // rounds up, never down
  CHECK(parse_duration("1000000ns") == milliseconds{1});
  CHECK(parse_duration("1500us") == milliseconds{2});
  CHECK(parse_duration("1500\xC2\xB5s") == milliseconds{2});  // µs, micro sign
  CHECK(parse_duration("1500\xCE\xBCs") == milliseconds{2});  // μs, Greek mu
  CHECK(parse_duration("-5s") == seconds{-5});
  CHECK(parse_duration("+5s") == seconds{5});
  CHECK(parse_duration("-0") == milliseconds{0});
  CHECK(parse_duration("0.000000001s") == milliseconds{1});
  CHECK(parse_duration("1.000000000000000000000001s") == seconds{1});  // below 1ns: dropped, as in Go
}

TEST_CASE("durations: a non-zero sub-millisecond value never becomes zero") {
  CHECK(parse_duration("300us") == milliseconds{1});
  CHECK(parse_duration("1ns") == milliseconds{1});
  CHECK(parse_duration("-300us") == milliseconds{-1});
  CHECK(parse_duration("0.0s") == milliseconds{0});
}

TEST_CASE("durations: format gives the shortest text that reads back") {
  CHECK(format_duration(milliseconds{0}) == "0s");
  CHECK(format_duration(milliseconds{500}) == "500ms");
  CHECK(format_duration(seconds{90}) == "1m30s");
  CHECK(format_duration(hours{24 * 7}) == "7d");
  CHECK(format_duration(hours{6}) == "6h");
  for (long long ms : {1LL, 999LL, 1000LL, 61'001LL, 86'400'000LL * 3 + 5, 123'456'789LL})
    CHECK(parse_duration(format_duration(milliseconds{ms})) == milliseconds{ms});
}
