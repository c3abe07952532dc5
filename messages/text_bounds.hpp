// messages/text_bounds.hpp — how long a string a client sends may be (issue 15 item 9).
//
// A client string that the daemon stores (events, sticky routes, settings) or echoes (error
// messages, headers, replies) is bounded here, once, for every front end: the proxy's request
// parsers (model names of every dialect), the admin and advisory APIs (account and
// reservation ids, model names, correlation ids, import paths, fallback chains) and the
// Telegram commands, which reach the same Operations verbs. A string past its bound is refused
// with a message that names the field and the bound and never quotes the value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace qg {

// Names: account and reservation ids, model names, providers, correlation ids, labels.
inline constexpr std::size_t kMaxNameBytes = 256;
// Free text that is kept or echoed: file paths, reasons.
inline constexpr std::size_t kMaxTextBytes = 4096;
// Items of a client-supplied list (exclude_accounts, fallback chains and their alternatives).
inline constexpr std::size_t kMaxListItems = 256;

// True when `s` holds a control character (< 0x20 or DEL): never valid in a name.
inline bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// "" when `value` is a usable name (at most kMaxNameBytes, no control character; empty is the
// caller's rule), else "<field>: must be at most 256 bytes without control characters".
inline std::string name_refusal(std::string_view field, std::string_view value) {
  if (value.size() <= kMaxNameBytes && !has_control_character(value)) return {};
  return std::string(field) + ": must be at most " + std::to_string(kMaxNameBytes) +
         " bytes without control characters";
}

// "" when `value` fits kMaxTextBytes, else "<field>: must be at most 4096 bytes".
inline std::string text_refusal(std::string_view field, std::string_view value) {
  if (value.size() <= kMaxTextBytes) return {};
  return std::string(field) + ": must be at most " + std::to_string(kMaxTextBytes) + " bytes";
}

}  // namespace qg
