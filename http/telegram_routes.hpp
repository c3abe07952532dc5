// http/telegram_routes.hpp — POST /api/v1/telegram/update: /qg_* for bots that own the token.
//
// An existing bot that already polls Telegram forwards each Update JSON here (admin token,
// Bearer, constant-time compare via http/api_support). The update runs through the same
// BotCommands as QuotaGuard's own poller (telegram.admins still applies to the sender), and
// the answer is the Bot API method call to perform (actors/telegram/webhook_reply.hpp), or {}
// when the message is not for us. A malformed update gets 400 naming the field and changes
// nothing. TELEGRAM.md shows a forwarding example.
#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace qg::telegram {
class BotCommands;
}

namespace qg {

// `commands` must outlive the server.
void register_telegram_routes(httplib::Server& server, telegram::BotCommands& commands,
                              const std::string& admin_token);

}  // namespace qg
