// http/telegram_client.hpp — the Telegram Bot API over HTTP(S) (implements telegram::BotApi).
//
// Calls POST <api_base>/bot<token>/<method> with a JSON body (multipart for sendDocument) and
// decodes the {"ok","result","description","error_code","parameters"} envelope. `api_base`
// is https://api.telegram.org in production (TLS via httplib's OpenSSL client) or a plain
// http:// URL for the test fake; a path after the host is kept as a prefix. The URL contains
// the token, so neither URLs nor request lines are ever logged or put in error texts; the
// token is registered with the log redaction registry as well.
#pragma once

#include "telegram/bot_api.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace httplib {
class Client;
}

namespace qg::telegram {

struct TelegramClientOptions {
  int connect_timeout_s = 10;
  int request_timeout_s = 30;      // non-polling calls; getUpdates waits timeout + 15 s
};

class TelegramClient : public BotApi {
 public:
  TelegramClient(std::string api_base, std::string token, TelegramClientOptions options = {});
  ~TelegramClient() override;

  BotApiResult get_me() override;
  BotApiResult get_updates(std::int64_t offset, int timeout_s) override;
  BotApiResult set_webhook(const std::string& url, const std::string& secret) override;
  BotApiResult delete_webhook() override;
  BotApiResult send_message(std::int64_t chat_id, const std::string& html) override;
  BotApiResult send_document(std::int64_t chat_id, const std::string& filename,
                             const std::string& content, const std::string& caption_html) override;
  BotApiResult set_my_commands(const nlohmann::json& commands) override;
  BotApiResult delete_message(std::int64_t chat_id, std::int64_t message_id) override;
  void interrupt() override;

  // "" when api_base is usable, else why not ("telegram.api_base: ...").
  static std::string validate_api_base(const std::string& api_base);

 private:
  std::unique_ptr<httplib::Client> make_client(int read_timeout_s) const;
  BotApiResult call_json(const std::string& method, const nlohmann::json& params, int read_timeout_s,
                         bool interruptible);

  std::string origin_;             // scheme://host[:port]
  std::string path_prefix_;        // "/bot<token>/" after any base path
  TelegramClientOptions options_;
  std::mutex mu_;                  // guards in_flight_
  std::set<httplib::Client*> in_flight_;  // interruptible calls in progress
  bool interrupt_pending_ = false; // interrupt() came between calls: the next one returns at once
};

// The factory the daemon passes to TelegramBot.
BotApiFactory telegram_client_factory(std::string api_base, TelegramClientOptions options = {});

}  // namespace qg::telegram
