// http/telegram_routes.hpp — POST /api/v1/telegram/update: /qg_* for bots that own the token.
//
// An existing bot that already polls Telegram forwards each Update JSON here (admin token,
// Bearer, constant-time compare via http/api_support). The update runs through the same
// BotCommands as QuotaGuard's own poller (telegram.admins still applies to the sender), and
// the answer is the Bot API method call to perform (telegram/webhook_reply.hpp), or {}
// when the message is not for us. A malformed update gets 400 naming the field and changes
// nothing. TELEGRAM.md shows a forwarding example.
//
// POST /telegram/webhook: webhook mode (telegram.webhook_url), Telegram itself calling. No
// admin token — Telegram cannot send one — but X-Telegram-Bot-Api-Secret-Token must equal
// telegram.webhook_secret (constant-time compare), else 401 and nothing runs. The update is
// handed to the bot (at most once per update_id), which replies through the Bot API; the
// answer is 200 {} (400 for a body that is not JSON, which Telegram never sends).
#pragma once

#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace qg::telegram {
class BotCommands;
class TelegramBot;
}

namespace qg {

class AdminToken;  // http/client_auth.hpp

// `commands` must outlive the server.
void register_telegram_routes(httplib::Server& server, telegram::BotCommands& commands,
                              std::shared_ptr<const AdminToken> admin_token);

// `bot` must outlive the server; `secret` is telegram.webhook_secret (not empty).
void register_telegram_webhook_route(httplib::Server& server, telegram::TelegramBot& bot,
                                     const std::string& secret);

}  // namespace qg
