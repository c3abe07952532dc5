// tests/telegram/fake_telegram_process.hpp — qg-fake-telegram as a child process, with its
// control endpoints (inject updates, read what the bot sent, 401 mode) as methods.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace qg::test {

inline const std::string kFakeBotToken = "123456789:AAFakeTokenForQuotaGuardTests_0123456789";

class FakeTelegramProcess {
 public:
  explicit FakeTelegramProcess(const std::string& token = kFakeBotToken);
  ~FakeTelegramProcess();
  FakeTelegramProcess(const FakeTelegramProcess&) = delete;
  FakeTelegramProcess& operator=(const FakeTelegramProcess&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Queues a text message from `user` in chat `chat` (0 = the user's private chat).
  void message(std::int64_t user, const std::string& text, std::int64_t chat = 0);
  void update(const nlohmann::json& update);        // verbatim (malformed allowed)
  nlohmann::json sent();                            // [{"method","params"}...]
  nlohmann::json state();
  void unauthorized(bool on);
  void clear();
  // Polls /control/sent until `pred` holds (the bot runs on other threads/processes).
  nlohmann::json wait_sent(const std::function<bool(const nlohmann::json&)>& pred,
                           std::chrono::milliseconds timeout = std::chrono::seconds{15});
  // Messages sent with `method` (e.g. "sendMessage") to `chat_id` (0 = any).
  static std::vector<nlohmann::json> of(const nlohmann::json& sent, const std::string& method,
                                        std::int64_t chat_id = 0);

 private:
  nlohmann::json call(const std::string& method, const std::string& path, const std::string& body);
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace qg::test
