// telegram/telegram_update.hpp — the part of a Telegram Update the bot acts on.
//
// Telegram sends Update objects (getUpdates results, webhook bodies, updates forwarded by
// another bot to POST /api/v1/telegram/update). The bot only acts on text messages; every
// other update kind (edited messages, callback queries, member changes, ...) is valid but
// carries no `message`. A malformed update (not an object, no integer update_id, a message
// without chat id or sender id) is an error naming the field, so callers can log and skip it.
// Pure, no I/O.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qg::telegram {

struct ChatMessage {
  std::int64_t message_id = 0;
  std::int64_t chat_id = 0;
  std::int64_t user_id = 0;        // the sender (message.from.id)
  std::string username;            // the sender's @username, may be empty
  std::string text;                // empty for non-text messages
};

struct TelegramUpdate {
  std::int64_t update_id = 0;
  std::optional<ChatMessage> message;  // set for a text-bearing `message` update
};

struct UpdateParse {
  std::optional<TelegramUpdate> update;
  std::string error;               // set when `update` is empty: "update.message.chat.id: ..."
};

UpdateParse parse_update(const nlohmann::json& j);
UpdateParse parse_update_text(std::string_view json_text);

}  // namespace qg::telegram
