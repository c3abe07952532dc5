// telegram/bot_commands.hpp — one chat message in, at most one reply out.
//
// This is the whole command surface of the bot (INTERFACE §6), shared by the long-polling bot
// and POST /api/v1/telegram/update: parse the command, check the sender is an admin, apply the
// per-chat rate limit, validate arguments, call the Operations verb (the same function the
// admin API route runs) and format its result for chat. Nothing here re-implements a verb.
//
//   not our command (plain text, other bots' commands)  -> no reply, nothing happens
//   non-admin                                            -> one refusal showing their user id
//                                                          per quiet period, nothing changes
//   over the per-chat rate limit                         -> one "slow down" notice, then silence
//   bad arguments                                        -> usage reply, nothing changes
//
// Thread-safe: the gate and limiter are guarded; Operations is thread-safe by contract.
#pragma once

#include "telegram/admin_gate.hpp"
#include "telegram/alert_mute.hpp"
#include "telegram/bot_command.hpp"
#include "telegram/telegram_update.hpp"
#include "telegram/token_bucket.hpp"
#include "messages/event.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace qg {
class Operations;
}

namespace qg::telegram {

struct Document {
  std::string filename;
  std::string content;
  std::string caption;             // HTML
};

struct Reply {
  std::int64_t chat_id = 0;
  std::string html;                // may be longer than one message: senders split it
  std::optional<Document> document;  // sent after `html` (if any)
  std::int64_t delete_message_id = 0;  // /settoken: the message holding the token (0 = none)
};

struct CommandsOptions {
  std::vector<std::int64_t> admins;
  BucketConfig per_chat{5, 0.5};
  TimeMs refusal_quiet_ms = 10 * 60 * 1000;
  TimeMs rate_notice_quiet_ms = 60 * 1000;
  int max_events = 50;
};

// The command list for setMyCommands: [{"command":"qg_status","description":"..."}, ...].
nlohmann::json command_menu();
// The /qg_help text.
std::string help_text();

class BotCommands {
 public:
  using Clock = std::function<TimeMs()>;
  // `mute`: the alerter's mute switch (null when no alerts run here: /qg_mute says so).
  BotCommands(Operations& ops, CommandsOptions options, Clock clock, AlertMute* mute = nullptr);

  // The bot's @username from getMe ("" accepts any @suffix).
  void set_bot_username(std::string name);

  std::optional<Reply> handle(const ChatMessage& m);

 private:
  std::string run(const BotCommand& cmd, const ChatMessage& m, Reply& reply);
  std::string thresholds(const BotCommand& cmd, const std::string& by);
  std::string policy(const BotCommand& cmd, const std::string& by);
  std::string fallback(const BotCommand& cmd, const std::string& by);
  std::string events(const BotCommand& cmd);
  std::string mute(const BotCommand& cmd, const std::string& by);
  std::string forget(const BotCommand& cmd, const std::string& by);
  std::string settoken(const BotCommand& cmd, const ChatMessage& m, Reply& reply, const std::string& by);

  Operations& ops_;
  CommandsOptions options_;
  Clock clock_;
  AlertMute* mute_;                // thread-safe itself
  std::mutex mu_;                  // guards the members below
  std::string bot_username_;
  AdminGate gate_;
  KeyedRateLimiter limiter_;
  std::map<std::int64_t, TimeMs> rate_noticed_;
};

}  // namespace qg::telegram
