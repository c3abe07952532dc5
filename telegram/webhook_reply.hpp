// telegram/webhook_reply.hpp — a Reply as the Bot API method call a webhook answers.
//
// POST /api/v1/telegram/update (an existing bot forwarding /qg_* messages) answers with the
// method call to perform, the shape Telegram accepts as a webhook response:
//   {"method":"sendMessage","chat_id":..,"text":..,"parse_mode":"HTML"}
// One call only, so text longer than one message is cut (with "…"), and /qg_export's document
// becomes a message with the YAML in <pre> (cut likewise; GET /api/v1/export has it whole).
// No reply -> {} (nothing to send). Pure.
#pragma once

#include "telegram/bot_commands.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace qg::telegram {

nlohmann::json webhook_reply(const std::optional<Reply>& reply);

}  // namespace qg::telegram
