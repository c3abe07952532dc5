// telegram/telegram_bot.hpp — the running bot: long polling, replies and alerts.
//
// Two threads (the bot is I/O-bound and talks to Operations, which is thread-safe, so it
// needs no actor):
//   poller  resolves the token (bot_token.hpp precedence; idles while there is none, and
//           re-checks the settings table every poll so /settoken and `quotaguard settoken`
//           take effect without a restart), calls getMe + setMyCommands, then long-polls
//           getUpdates (offset = stored next offset). Each update's offset is stored BEFORE
//           its command runs: no command runs twice after a restart. Malformed updates are
//           logged and skipped. Network errors back off with jitter; a 401 stops polling with
//           one log line until the token changes.
//   alerter every `alert_interval_ms`: reads the events after the alert cursor through
//           Operations::events, runs alert_policy, saves the state + cursor, then sends the
//           (throttled) alerts to telegram.alert_chat. Idles while the bot has no valid token,
//           so events are not consumed unseen.
// The token never reaches a log line.
#pragma once

#include "telegram/backoff.hpp"
#include "telegram/bot_api.hpp"
#include "telegram/bot_commands.hpp"
#include "telegram/token_bucket.hpp"
#include "messages/event.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace qg {
class Operations;
}

namespace qg::telegram {

class BotStore;
struct AlertState;

struct BotOptions {
  std::string config_token;        // telegram.token
  std::string env_token;           // QUOTAGUARD_TELEGRAM_TOKEN
  std::int64_t alert_chat = 0;     // 0 = no alerts
  CommandsOptions commands;
  int poll_timeout_s = 30;
  TimeMs alert_interval_ms = 2000;
  TimeMs idle_recheck_ms = 2000;   // token re-check while idle
  BackoffConfig backoff;
  BucketConfig alert_rate{10, 20.0 / 60.0};
  TimeMs forecast_horizon_ms = 30 * 60'000;  // alerts.forecast_horizon: pools running dry within it
  // Webhook mode (telegram.webhook_url): setWebhook instead of getUpdates; updates arrive
  // through handle_webhook_update (POST /telegram/webhook). "" = long polling.
  std::string webhook_url;
  std::string webhook_secret;
  TimeMs webhook_recheck_ms = 60'000;  // token re-check while in webhook mode
};

struct BotHealth {
  bool running = false;
  bool polling = false;            // a token was accepted by getMe and polling (or the webhook) is on
  bool webhook = false;            // updates come by webhook, not getUpdates
  std::string bot_username;
  std::string token_source;        // environment | settings | config | none
  std::string error;               // last problem, "" when healthy
  bool operator==(const BotHealth&) const = default;
};

class TelegramBot {
 public:
  using Clock = std::function<TimeMs()>;
  TelegramBot(BotOptions options, Operations& ops, BotStore& store, BotApiFactory factory,
              Clock clock = {});
  ~TelegramBot();
  TelegramBot(const TelegramBot&) = delete;
  TelegramBot& operator=(const TelegramBot&) = delete;

  void start();                    // again after stop(): re-reads the stored offset and alert cursor
  void stop();                     // idempotent; interrupts a long poll and joins
  // The stored token changed (Operations::set_telegram_token calls this): re-read it now.
  void token_changed();
  BotHealth health() const;
  // Called from the poller thread whenever health() changes (e.g. to feed GET /api/v1/status).
  void on_health(std::function<void(const BotHealth&)> listener);
  // The command handler, shared with POST /api/v1/telegram/update.
  BotCommands& commands() { return commands_; }
  // Webhook mode: one Update as Telegram POSTed it (the route checked the secret). Runs it
  // at most once (update_id, stored before running, shared with polling) and sends the reply
  // through the Bot API. False when it was not run (malformed, seen, no working token).
  bool handle_webhook_update(const nlohmann::json& update);

 private:
  void poll_loop();
  void alert_loop();
  void init_alert_state();
  void alert_pass();
  // ready; unreachable: Telegram did not answer getMe/setWebhook (back off and retry);
  // waiting: no usable token, or it was rejected (recheck for a new one).
  enum class ClientState { ready, unreachable, waiting };
  ClientState ensure_client(std::string& failure);  // resolve token, getMe, setMyCommands
  void deliver(BotApi& api, const Reply& reply);
  BotApiResult send_with_retry(const std::function<BotApiResult()>& send);
  std::size_t handle_updates(BotApi& api, const nlohmann::json& updates);  // -> new updates seen
  bool handle_update(BotApi& api, const nlohmann::json& update);          // -> was new
  void load_offset();              // next_offset_ from the store once; caller holds offset_mu_
  void sleep_for(TimeMs ms, bool& wake);  // returns early on stop or when `wake` is set
  std::shared_ptr<BotApi> api() const;
  void set_error(std::string error);
  void report_health();

  BotOptions options_;
  Operations& ops_;
  BotStore& store_;
  BotApiFactory factory_;
  Clock clock_;
  AlertMute mute_;                 // /qg_mute: before commands_, which points at it
  BotCommands commands_;

  mutable std::mutex mu_;          // guards api_, token_, health_, the wake flags
  std::condition_variable cv_;
  std::shared_ptr<BotApi> api_;
  std::string token_;              // the token api_ was built for
  std::string rejected_token_;     // got 401: idle until the token changes
  bool poll_wake_ = false;         // token changed / stop
  bool alert_wake_ = false;        // stop
  BotHealth health_;
  BotHealth reported_;
  std::function<void(const BotHealth&)> health_listener_;

  std::atomic<bool> stopping_{false};
  std::mutex offset_mu_;           // next_offset_: the poller or webhook requests
  std::optional<std::int64_t> next_offset_;
  std::unique_ptr<AlertState> alert_state_;
  std::unique_ptr<class AlertThrottle> throttle_;
  bool alert_chat_warned_ = false;
  std::thread poller_;
  std::thread alerter_;
};

}  // namespace qg::telegram
