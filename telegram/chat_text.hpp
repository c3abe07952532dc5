// telegram/chat_text.hpp — text helpers for Telegram HTML messages.
//
// Every reply the bot sends uses parse_mode HTML: dynamic text (account ids, error messages,
// YAML) is escaped with `html_escape`, and formatting tags never span lines, so a message can
// be split on line boundaries without breaking a tag. `split_message` cuts long text into
// Telegram-sized pieces (4096 characters); a single over-long line is cut at a UTF-8 character
// boundary outside any HTML entity. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qg::telegram {

inline constexpr std::size_t kMaxMessageBytes = 4096;

// & < > " escaped for Telegram's HTML parse mode.
std::string html_escape(std::string_view text);

// Pieces of at most `limit` bytes (bytes >= Telegram's UTF-16 count, so always safe), split
// after a newline where possible. Never empty pieces; an empty text gives no pieces.
std::vector<std::string> split_message(std::string_view text, std::size_t limit = kMaxMessageBytes);

// `text` cut to at most `limit` bytes at a safe point, with "…" appended when cut.
std::string truncate_message(std::string_view text, std::size_t limit = kMaxMessageBytes);

}  // namespace qg::telegram
