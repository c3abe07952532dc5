// cli/telegram_module.cpp — the Telegram bot inside `quotaguard serve` (daemon module 60).
//
// Always mounts POST /api/v1/telegram/update (an existing bot forwarding /qg_* messages needs
// no telegram.enabled: it owns the token). With telegram.enabled it also starts the bot —
// long polling, or with telegram.webhook_url webhook mode and POST /telegram/webhook — (telegram/telegram_bot.hpp) over the core's Operations, with its own settings-
// table connection; Operations::set_telegram_token reaches it through CoreOperations::on_token_stored,
// and its health feeds GET /api/v1/status ("telegram"). Polling and alerts are singleton
// duties: the bot runs only while this node holds them (persistence/leadership.hpp; always on
// SQLite), starting when the node is elected and stopping when it is deposed. Its token,
// update offset and alert cursor live in the settings rows open_bot_store picks (shared by
// every node on PostgreSQL), so the next holder continues where the last one stopped.
#include "actors/control/core.hpp"
#include "actors/control/core_operations.hpp"
#include "telegram/bot_settings.hpp"
#include "telegram/telegram_bot.hpp"
#include "cli/daemon_modules.hpp"
#include "http/client_auth.hpp"
#include "http/http_server.hpp"
#include "http/telegram_client.hpp"
#include "http/telegram_routes.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/leadership.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

namespace qg {
namespace {

class TelegramModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    auto core = ctx.services.get<Core>();
    if (!core) return "the core is not running";
    const TelegramConfig& t = ctx.config.telegram;
    telegram::CommandsOptions commands;
    commands.admins = t.admins;
    Operations& ops = core->operations();
    if (t.enabled) {
      const std::string bad_base = telegram::TelegramClient::validate_api_base(t.api_base);
      if (!bad_base.empty()) return bad_base;
      try {
        store_ = telegram::open_bot_store(ctx.config.storage);
      } catch (const std::exception& e) {
        return std::string("telegram: ") + e.what();
      }
      telegram::BotOptions options;
      options.config_token = t.token;
      if (const char* env = std::getenv("QUOTAGUARD_TELEGRAM_TOKEN")) options.env_token = env;
      options.alert_chat = t.alert_chat;
      options.forecast_horizon_ms = ctx.config.alerts.forecast_horizon.count();
      options.commands = commands;
      options.webhook_url = t.webhook_url;
      options.webhook_secret = t.webhook_secret;
      bot_ = std::make_shared<telegram::TelegramBot>(options, ops, *store_,
                                                     telegram::telegram_client_factory(t.api_base), system_clock_ms);
      std::weak_ptr<telegram::TelegramBot> weak = bot_;
      std::static_pointer_cast<CoreOperations>(core->operations_ptr())->on_token_stored([weak](const std::string&) {
        if (auto bot = weak.lock()) bot->token_changed();
      });
      std::weak_ptr<Core> weak_core = core;
      bot_->on_health([weak_core](const telegram::BotHealth& h) {
        auto c = weak_core.lock();
        if (!c) return;
        ComponentHealth health;
        health.enabled = true;
        health.healthy = h.polling && h.error.empty();
        health.detail = h.polling ? std::string(h.webhook ? "webhook" : "polling") + " as @" + h.bot_username +
                                        " (token from " + h.token_source + ")"
                                  : h.error;
        if (health.healthy) health.last_ok = system_clock_ms();
        c->health_board().set("telegram", health);
      });
      if (t.admins.empty())
        spdlog::warn("telegram: telegram.admins is empty; the bot will refuse every command");
      leadership_ = ctx.services.get<Leadership>();
      if (!leadership_) leadership_ = Leadership::single_node({});
      subscription_ = leadership_->subscribe([this, weak_core](bool holding) {
        if (holding) {
          bot_->start();
          return;
        }
        bot_->stop();
        if (auto c = weak_core.lock())
          c->health_board().set("telegram", {true, true, "standby: another node holds the singleton duties", 0});
      });
      if (!leadership_->holding())
        core->health_board().set("telegram", {true, true, "standby: another node holds the singleton duties", 0});
    } else {
      standalone_ = std::make_unique<telegram::BotCommands>(ops, commands, system_clock_ms);
    }
    telegram::BotCommands& handler = bot_ ? bot_->commands() : *standalone_;
    // Rotated by a reload like every admin route (cli/core_module.cpp); the config's value when
    // the routes module did not run (tests of this module alone).
    auto admin_token = ctx.services.get<AdminToken>();
    if (!admin_token) admin_token = std::make_shared<AdminToken>(ctx.config.server.admin_token);
    ctx.http.with_server([&](httplib::Server& server) {
      register_telegram_routes(server, handler, admin_token);
      if (bot_ && !t.webhook_url.empty()) register_telegram_webhook_route(server, *bot_, t.webhook_secret);
    });
    return "";
  }

  void stop(DaemonContext&) override {
    if (leadership_) leadership_->unsubscribe(subscription_);  // no start after this
    if (bot_) bot_->stop();
  }

 private:
  std::shared_ptr<Leadership> leadership_;
  int subscription_ = 0;
  std::unique_ptr<telegram::BotStore> store_;
  std::shared_ptr<telegram::TelegramBot> bot_;
  std::unique_ptr<telegram::BotCommands> standalone_;
};
QG_REGISTER_DAEMON_MODULE(60, TelegramModule);

}  // namespace
}  // namespace qg
