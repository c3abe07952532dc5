// config/duration.hpp — durations as written in config.yaml and on the command line.
//
// Accepted: a sequence of <integer><unit> parts with units ms, s, m, h, d (and w for weeks),
// e.g. `500ms`, `30s`, `5m`, `1h`, `1d`, `7d`, `1h30m`. A bare `0` means zero. Whitespace
// around the text is ignored; nothing else is. Depends on the standard library only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

// The duration `text` denotes, or nullopt when it is not a duration (or overflows).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d`: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace qg
