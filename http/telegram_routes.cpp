// http/telegram_routes.cpp — the forwarded-update route and the webhook route.
#include "http/telegram_routes.hpp"
#include "messages/json_depth.hpp"

#include "telegram/bot_commands.hpp"
#include "telegram/telegram_bot.hpp"
#include "telegram/telegram_update.hpp"
#include "telegram/webhook_reply.hpp"
#include "http/api_support.hpp"
#include "http/client_auth.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace qg {

void register_telegram_routes(httplib::Server& server, telegram::BotCommands& commands,
                              std::shared_ptr<const AdminToken> admin_token) {
  ApiRoutes routes(server, ApiAuth{std::move(admin_token), false});
  routes.post("/api/v1/telegram/update", "/api/v1/telegram/update",
              [&commands](const httplib::Request& req, httplib::Response& res) {
                const telegram::UpdateParse parsed = telegram::parse_update_text(req.body);
                if (!parsed.update) {
                  spdlog::warn("telegram: rejected a forwarded update: {}", parsed.error);
                  send_error(res, 400, "invalid_update", parsed.error);
                  return;
                }
                std::optional<telegram::Reply> reply;
                if (parsed.update->message) reply = commands.handle(*parsed.update->message);
                send_json(res, 200, telegram::webhook_reply(reply));
              });
}

void register_telegram_webhook_route(httplib::Server& server, telegram::TelegramBot& bot,
                                     const std::string& secret) {
  server.Post("/telegram/webhook", [&bot, secret](const httplib::Request& req, httplib::Response& res) {
    const std::string given = req.get_header_value("X-Telegram-Bot-Api-Secret-Token");
    if (!header_credential(given) || !secret_matches(secret, given)) {
      spdlog::warn("telegram: refused a webhook call without the right secret token (from {})",
                   req.remote_addr);
      send_error(res, 401, "unauthorized", "missing or wrong X-Telegram-Bot-Api-Secret-Token");
      return;
    }
    if (json_too_deep(req.body)) {
      send_error(res, 400, "invalid_update", json_depth_error());
      return;
    }
    const nlohmann::json update = nlohmann::json::parse(req.body, nullptr, false);
    if (update.is_discarded()) {
      send_error(res, 400, "invalid_update", "the body is not JSON");
      return;
    }
    if (!bot.health().running) {  // another node holds the duties (persistence/leadership.hpp)
      res.set_header("Retry-After", "1");  // Telegram delivers it again, maybe to the holder
      send_error(res, 503, "standby", "this node does not hold the singleton duties (the Telegram bot runs on another node)");
      return;
    }
    bot.handle_webhook_update(update);
    send_json(res, 200, nlohmann::json::object());
  });
}

}  // namespace qg
