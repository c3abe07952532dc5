// cliproxy/time_parse.hpp — parse the timestamp spellings CLIProxyAPI and providers use.
//
// Auth files and management responses carry times as RFC 3339 (with or without fractions and
// offset), "2006-01-02 15:04:05", "2006-01-02 15:04", unix seconds or unix milliseconds (a
// number above 1e12 is milliseconds, as in CLIProxyAPI's Auth.ExpirationTime). Pure functions.
#pragma once

#include "messages/civil_time.hpp"  // unix_number_to_ms
#include "messages/event.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qg::cliproxy {

// A textual time: RFC 3339 / RFC 3339 Nano / "YYYY-MM-DD HH:MM[:SS]" (UTC) or a decimal number
// (unix seconds, or ms when > 1e12). nullopt when it is none of those.
std::optional<TimeMs> parse_time_text(std::string_view text);

// Format as RFC 3339 UTC with milliseconds ("2026-04-10T09:12:00.000Z").
std::string format_time_utc(TimeMs t);

}  // namespace qg::cliproxy
