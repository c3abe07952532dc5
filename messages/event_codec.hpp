// messages/event_codec.hpp — the JSON form of event payloads and of whole events.
//
// Each event is stored as (type, schema version, JSON payload); docs/EVENT_LOG.md documents
// every payload. Encoding uses nlohmann::json; decoding uses simdjson. Decoding never throws
// and never crashes on input: an unknown type, a newer schema version or malformed JSON of a
// known type comes back as an UnknownEvent that keeps the raw JSON, with `*warning` set.
#pragma once

#include "messages/event.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qg {

// Schema version written with every event payload by this build.
inline constexpr int kEventSchemaVersion = 1;

// True for the type names this build decodes (every EventPayload alternative but UnknownEvent).
bool is_known_event_type(std::string_view type);

// The payload as compact JSON text (an UnknownEvent encodes as its raw text).
std::string encode_payload(const EventPayload& payload);

// Decodes a stored payload. `warning` (may be null) is cleared, and set when the result is an
// UnknownEvent for a reason worth telling an operator.
EventPayload decode_payload(std::string_view type, std::string_view json, int version,
                            std::string* warning);

// "2026-11-29T15:04:05.123Z" (UTC, millisecond precision).
std::string format_iso8601_ms(TimeMs t);

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with optional "Z" or "+HH:MM"/"-HH:MM"
// (space instead of 'T' accepted). nullopt when malformed.
std::optional<TimeMs> parse_iso8601(std::string_view text);

// One line of `replay --json` and of GET /api/v1/events:
// {"seq":N,"ts":"...","type":"...","account":"...","data":{...}}   (no trailing newline)
std::string event_to_json_line(const Event& e);

}  // namespace qg
