// telegram/bot_api.hpp — the Telegram Bot API methods the bot uses, as an interface.
//
// http/telegram_client implements it over HTTPS (httplib); the bot (telegram_bot.hpp) only
// sees this interface, so telegram/ does not depend on http/. Every call answers a
// BotApiResult: the decoded Bot API envelope {"ok","result","description","error_code"} or
// a transport failure. Implementations never log the token or URLs containing it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace qg::telegram {

struct BotApiResult {
  int http_status = 0;             // 0 = no HTTP answer (connect/read failure)
  bool ok = false;                 // the envelope's "ok"
  nlohmann::json result;           // the envelope's "result"
  std::string description;         // error text (Telegram's description or the transport error)
  std::int64_t retry_after_s = 0;  // 429 parameters.retry_after

  bool unauthorized() const { return http_status == 401; }
  bool transport_error() const { return http_status == 0; }
};

class BotApi {
 public:
  virtual ~BotApi() = default;
  virtual BotApiResult get_me() = 0;
  // Long poll: waits up to `timeout_s` for updates with update_id >= offset.
  virtual BotApiResult get_updates(std::int64_t offset, int timeout_s) = 0;
  // One message (<= 4096 chars), parse_mode HTML.
  virtual BotApiResult send_message(std::int64_t chat_id, const std::string& html) = 0;
  virtual BotApiResult send_document(std::int64_t chat_id, const std::string& filename,
                                     const std::string& content, const std::string& caption_html) = 0;
  virtual BotApiResult set_my_commands(const nlohmann::json& commands) = 0;
  virtual BotApiResult delete_message(std::int64_t chat_id, std::int64_t message_id) = 0;
  // Webhook mode: Telegram POSTs message updates to `url` with `secret` in the
  // X-Telegram-Bot-Api-Secret-Token header. delete_webhook returns to getUpdates (a set
  // webhook makes getUpdates fail with 409).
  virtual BotApiResult set_webhook(const std::string& url, const std::string& secret) = 0;
  virtual BotApiResult delete_webhook() = 0;
  // Aborts a get_updates in progress (from another thread); later calls work normally.
  virtual void interrupt() = 0;
};

// Builds a client for a token (the bot makes a new one when the token changes).
using BotApiFactory = std::function<std::unique_ptr<BotApi>(const std::string& token)>;

}  // namespace qg::telegram
