// telegram/bot_command.hpp — recognising the bot's commands in a chat message.
//
// The bot may live inside another bot, so it answers only its own commands: `/qg_<name>` and
// `/settoken`, optionally addressed as `/qg_status@BotName`. Anything else (plain text, other
// bots' commands, commands addressed to another @bot) is not a command for us and must be
// ignored silently. Pure, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg::telegram {

struct BotCommand {
  std::string name;                 // "qg_status", "settoken", ... (lower case, no '/', no @bot)
  std::string args;                 // everything after the command word, trimmed
  std::vector<std::string> argv;    // `args` split on whitespace
};

// `bot_username` (without '@') is the bot's own name from getMe; when empty (webhook /
// forwarded updates) any @suffix is accepted.
std::optional<BotCommand> parse_command(std::string_view text, std::string_view bot_username);

}  // namespace qg::telegram
