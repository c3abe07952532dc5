// messages/duration.hpp — the one duration parser: config.yaml, environment, command line, bot
// commands and the durations providers put in rate-limit signals all read through it.
//
// Syntax: Go's time.ParseDuration — an optional sign, then one or more <decimal><unit> parts,
// where the decimal may have a fraction ("1.5h", ".5s") and the unit is ns, us (or µs), ms, s, m
// or h — plus two longer units people write in quota windows, d (24h) and w (7d). Examples:
// `1.5s`, `500ms`, `300us`, `1h30m`, `7d`, `-2m`. A bare `0` (or `+0`, `-0`) is zero; any other
// number without a unit is refused. Whitespace around the text is ignored; nothing else is.
//
// Resolution is a millisecond: a value with a sub-millisecond part rounds away from zero to the
// next whole millisecond (`300us` -> 1ms, `1.0001s` -> 1001ms), so a non-zero duration never
// becomes 0 (which several settings read as "off"). Callers that forbid negative values say so
// themselves (config_reader's read_duration does). Depends on the standard library only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

// The duration `text` denotes, or nullopt when it is not a duration or overflows ±292 years.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d`: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace qg
