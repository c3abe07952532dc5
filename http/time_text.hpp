// http/time_text.hpp — parsing the time notations providers put in rate-limit signals.
//
// Go-style durations ("6m0s", "1s", "20ms", "53.417207s", "2h42m0s"), RFC 3339 timestamps
// ("2026-04-10T06:40:59Z", "2026-04-16T00:00:00.000000+00:00"), HTTP dates
// ("Wed, 21 Oct 2015 07:28:00 GMT") and unix seconds. Pure functions, no clock.
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace qg {

// A non-negative duration in a provider's signal, in ms: a bare number counts as seconds
// (rounded up), anything else goes through qg::parse_duration (Go syntax, messages/duration.hpp).
std::optional<std::int64_t> parse_go_duration_ms(std::string_view text);

// RFC 3339 / ISO 8601 date-time with 'Z' or a numeric offset, optional fraction. UTC ms.
std::optional<TimeMs> parse_rfc3339_ms(std::string_view text);

// IMF-fixdate as used by Retry-After ("Sun, 06 Nov 1994 08:49:37 GMT"). UTC ms.
std::optional<TimeMs> parse_http_date_ms(std::string_view text);

// A plain decimal number (integer or fraction), nullopt if the text is anything else.
std::optional<double> parse_number(std::string_view text);

// A unix timestamp in seconds, or in milliseconds when above 1e12. UTC ms.
std::optional<TimeMs> parse_unix_time_ms(std::string_view text);

}  // namespace qg
