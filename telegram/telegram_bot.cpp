// telegram/telegram_bot.cpp — poller and alerter threads.
#include "telegram/telegram_bot.hpp"
#include "messages/wall_clock.hpp"

#include "messages/operations.hpp"
#include "telegram/alert_policy.hpp"
#include "telegram/bot_settings.hpp"
#include "telegram/chat_text.hpp"
#include "telegram/telegram_update.hpp"
#include "config/redaction.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

namespace qg::telegram {

namespace {

double jitter() {
  // minstd (8 bytes), not mt19937 (5 KiB): a thread_local sits in every thread's TLS block,
  // the proxy's thousands of stream threads included.
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

constexpr std::size_t kEventBatch = 200;

}  // namespace

TelegramBot::TelegramBot(BotOptions options, Operations& ops, BotStore& store, BotApiFactory factory,
                         Clock clock)
    : options_(std::move(options)),
      ops_(ops),
      store_(store),
      factory_(std::move(factory)),
      clock_(clock ? std::move(clock) : Clock(system_clock_ms)),
      mute_(&store),
      commands_(ops, options_.commands, clock_, options_.alert_chat != 0 ? &mute_ : nullptr) {}

TelegramBot::~TelegramBot() { stop(); }

void TelegramBot::start() {
  if (poller_.joinable()) return;
  stopping_ = false;
  {
    std::lock_guard lock(mu_);
    health_.running = true;
  }
  {
    // A restart (this node holds the duties again) continues from the stored offset and
    // cursor, which another node may have moved meanwhile (shared settings on PostgreSQL).
    std::lock_guard lock(offset_mu_);
    next_offset_.reset();
  }
  if (options_.alert_chat == 0) {
    spdlog::info("telegram: telegram.alert_chat is not set; alerts are off");
  } else {
    try {
      init_alert_state();  // before any thread: events from now on are alerted
    } catch (const std::exception& ex) {
      alert_state_.reset();
      spdlog::error("telegram: alerts are off: cannot read the alert cursor: {}", ex.what());
    }
  }
  poller_ = std::thread([this] { poll_loop(); });
  alerter_ = std::thread([this] { alert_loop(); });
}

void TelegramBot::stop() {
  stopping_ = true;
  std::shared_ptr<BotApi> current;
  {
    std::lock_guard lock(mu_);
    poll_wake_ = alert_wake_ = true;
    current = api_;
  }
  cv_.notify_all();
  if (current) current->interrupt();
  if (poller_.joinable()) poller_.join();
  if (alerter_.joinable()) alerter_.join();
  std::lock_guard lock(mu_);
  health_.running = false;
  health_.polling = false;
}

void TelegramBot::token_changed() {
  std::shared_ptr<BotApi> current;
  {
    std::lock_guard lock(mu_);
    poll_wake_ = true;
    current = api_;
  }
  cv_.notify_all();
  if (current) current->interrupt();
}

BotHealth TelegramBot::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

void TelegramBot::on_health(std::function<void(const BotHealth&)> listener) {
  std::lock_guard lock(mu_);
  health_listener_ = std::move(listener);
}

void TelegramBot::report_health() {
  std::function<void(const BotHealth&)> listener;
  BotHealth now;
  {
    std::lock_guard lock(mu_);
    if (!health_listener_ || health_ == reported_) return;
    reported_ = now = health_;
    listener = health_listener_;
  }
  listener(now);
}

std::shared_ptr<BotApi> TelegramBot::api() const {
  std::lock_guard lock(mu_);
  return health_.polling ? api_ : nullptr;
}

void TelegramBot::set_error(std::string error) {
  std::lock_guard lock(mu_);
  health_.error = std::move(error);
}

void TelegramBot::sleep_for(TimeMs ms, bool& wake) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return wake || stopping_.load(); });
  wake = false;
}

TelegramBot::ClientState TelegramBot::ensure_client(std::string& failure) {
  std::optional<StoredToken> stored;
  try {
    stored = load_bot_token(store_);
  } catch (const std::exception& ex) {
    failure = std::string("cannot read the stored token: ") + ex.what();
    return ClientState::waiting;
  }
  const TokenChoice choice = choose_token(options_.env_token, stored, options_.config_token);
  register_secret(choice.token);  // whatever happens next, the token never reaches a log line
  std::shared_ptr<BotApi> current;
  {
    std::lock_guard lock(mu_);
    health_.token_source = choice.source;
    if (choice.token.empty()) {
      health_.polling = false;
      api_.reset();
      token_.clear();
      failure = "no bot token (set telegram.token, QUOTAGUARD_TELEGRAM_TOKEN or /settoken)";
      return ClientState::waiting;
    }
    if (choice.token == rejected_token_) {
      failure = "the bot token was rejected by Telegram (401)";
      return ClientState::waiting;
    }
    if (api_ && token_ == choice.token && health_.polling) return ClientState::ready;
    if (!api_ || token_ != choice.token) {
      api_ = std::shared_ptr<BotApi>(factory_(choice.token));
      token_ = choice.token;
      health_.polling = false;
    }
    current = api_;
  }
  const BotApiResult me = current->get_me();
  if (me.unauthorized()) {
    spdlog::error("telegram: the bot token (from {}) was rejected by Telegram (401 Unauthorized); "
                  "polling stopped until a new token is set", choice.source);
    std::lock_guard lock(mu_);
    rejected_token_ = choice.token;
    failure = "the bot token was rejected by Telegram (401)";
    return ClientState::waiting;
  }
  if (!me.ok) {
    failure = "getMe failed: " + me.description;
    return ClientState::unreachable;
  }
  std::string username = me.result.is_object() ? me.result.value("username", std::string()) : "";
  commands_.set_bot_username(username);
  const BotApiResult cmds = current->set_my_commands(command_menu());
  if (!cmds.ok) spdlog::warn("telegram: setMyCommands failed: {}", cmds.description);
  const bool webhook = !options_.webhook_url.empty();
  if (webhook) {
    const BotApiResult wh = current->set_webhook(options_.webhook_url, options_.webhook_secret);
    if (!wh.ok) {
      failure = "setWebhook failed: " + wh.description;
      return ClientState::unreachable;
    }
  } else if (const BotApiResult wh = current->delete_webhook(); !wh.ok) {
    // A webhook left by another deployment makes every getUpdates fail with 409.
    spdlog::warn("telegram: deleteWebhook failed: {}", wh.description);
  }
  spdlog::info("telegram: {} as @{} (token from {})", webhook ? "webhook" : "polling", username,
               choice.source);
  std::lock_guard lock(mu_);
  health_.polling = true;
  health_.webhook = webhook;
  health_.bot_username = username;
  health_.error.clear();
  return ClientState::ready;
}

void TelegramBot::poll_loop() {
  int failures = 0;
  while (!stopping_) {
    report_health();
    std::string failure;
    const ClientState client = ensure_client(failure);
    if (client != ClientState::ready) {
      set_error(failure);
      if (client == ClientState::unreachable) {
        spdlog::warn("telegram: {}", failure);
        sleep_for(backoff_delay(failures++, jitter(), options_.backoff), poll_wake_);
      } else {
        sleep_for(options_.idle_recheck_ms, poll_wake_);
      }
      continue;
    }
    std::shared_ptr<BotApi> current = api();
    if (!current) continue;
    if (!options_.webhook_url.empty()) {
      // Updates arrive by webhook; this thread only notices a new token (woken at once by
      // token_changed, else every webhook_recheck_ms), which ensure_client then registers.
      set_error("");
      failures = 0;
      report_health();
      sleep_for(options_.webhook_recheck_ms, poll_wake_);
      continue;
    }
    std::int64_t offset = 0;
    {
      std::lock_guard lock(offset_mu_);
      load_offset();
      offset = *next_offset_;
    }
    const BotApiResult r = current->get_updates(offset, options_.poll_timeout_s);
    if (stopping_) break;
    bool woken = false;
    {
      std::lock_guard lock(mu_);
      woken = poll_wake_;
      poll_wake_ = false;
      if (woken) health_.polling = false;  // re-resolve the token on the next round
    }
    if (woken) continue;
    if (r.unauthorized()) {
      spdlog::error("telegram: Telegram answered 401 Unauthorized to getUpdates; polling stopped "
                    "until a new token is set");
      std::lock_guard lock(mu_);
      rejected_token_ = token_;
      health_.polling = false;
      health_.error = "the bot token was rejected by Telegram (401)";
      continue;
    }
    if (!r.ok || !r.result.is_array()) {
      const std::string why = r.description.empty() ? "unexpected getUpdates answer" : r.description;
      set_error("getUpdates failed: " + why);
      const TimeMs delay = r.retry_after_s > 0 ? r.retry_after_s * 1000
                                               : backoff_delay(failures++, jitter(), options_.backoff);
      spdlog::warn("telegram: getUpdates failed ({}); retrying in {} ms", why, delay);
      sleep_for(delay, poll_wake_);
      continue;
    }
    set_error("");
    if (handle_updates(*current, r.result) == 0 && !r.result.empty()) {
      // Only updates we cannot use or have handled: do not spin on a server that keeps
      // resending them.
      sleep_for(backoff_delay(failures++, jitter(), options_.backoff), poll_wake_);
      continue;
    }
    failures = 0;
  }
}

std::size_t TelegramBot::handle_updates(BotApi& api, const nlohmann::json& updates) {
  std::size_t handled = 0;
  for (const auto& u : updates) {
    if (stopping_) break;
    if (handle_update(api, u)) ++handled;
  }
  return handled;
}

void TelegramBot::load_offset() {
  if (next_offset_) return;
  const auto stored = store_.get(kKeyNextOffset);
  std::int64_t offset = 0;
  if (stored) try { offset = std::stoll(*stored); } catch (const std::exception&) { offset = 0; }
  next_offset_ = offset;
}

bool TelegramBot::handle_update(BotApi& api, const nlohmann::json& u) {
  const auto id = u.is_object() ? u.find("update_id") : u.end();
  if (!u.is_object() || id == u.end() || !id->is_number_integer()) {
    spdlog::warn("telegram: skipped an update without an integer update_id");
    return false;
  }
  const std::int64_t update_id = id->get<std::int64_t>();
  {
    std::lock_guard lock(offset_mu_);
    load_offset();
    if (update_id < *next_offset_) return false;  // already handled (a resent update)
    try {
      store_.set(kKeyNextOffset, std::to_string(update_id + 1));  // before running: at most once
    } catch (const std::exception& ex) {
      spdlog::error("telegram: cannot store the update offset ({}); skipping update {}", ex.what(), update_id);
      return true;
    }
    next_offset_ = update_id + 1;
  }
  const UpdateParse parsed = parse_update(u);
  if (!parsed.update) {
    spdlog::warn("telegram: skipped malformed update {}: {}", update_id, parsed.error);
    return true;
  }
  if (!parsed.update->message) return true;
  try {
    if (auto reply = commands_.handle(*parsed.update->message)) deliver(api, *reply);
  } catch (const std::exception& ex) {
    spdlog::error("telegram: update {} failed: {}", update_id, ex.what());
  }
  return true;
}

bool TelegramBot::handle_webhook_update(const nlohmann::json& update) {
  std::shared_ptr<BotApi> current = api();
  if (!current || options_.webhook_url.empty()) return false;
  return handle_update(*current, update);
}

BotApiResult TelegramBot::send_with_retry(const std::function<BotApiResult()>& send) {
  BotApiResult r = send();
  // Telegram's flood control (429 retry_after) or a network blip: one bounded retry.
  if (!r.ok && !stopping_ && (r.retry_after_s > 0 || r.transport_error())) {
    bool no_wake = false;
    sleep_for(r.retry_after_s > 0 ? std::min<TimeMs>(r.retry_after_s * 1000, 30'000)
                                  : backoff_delay(0, jitter(), options_.backoff),
              no_wake);
    r = send();
  }
  return r;
}

void TelegramBot::deliver(BotApi& api, const Reply& reply) {
  for (const auto& part : split_message(reply.html)) {
    const BotApiResult r = send_with_retry([&] { return api.send_message(reply.chat_id, part); });
    if (!r.ok) spdlog::warn("telegram: sendMessage to chat {} failed: {}", reply.chat_id, r.description);
  }
  if (reply.document) {
    const auto& d = *reply.document;
    const BotApiResult r =
        send_with_retry([&] { return api.send_document(reply.chat_id, d.filename, d.content, d.caption); });
    if (!r.ok) spdlog::warn("telegram: sendDocument to chat {} failed: {}", reply.chat_id, r.description);
  }
  if (reply.delete_message_id != 0) {
    const BotApiResult r = api.delete_message(reply.chat_id, reply.delete_message_id);
    if (!r.ok) spdlog::info("telegram: could not delete the /settoken message: {}", r.description);
  }
}

void TelegramBot::init_alert_state() {
  // The cursor starts where the log is when the bot first starts (history is not alerted);
  // later starts continue from the saved cursor, so nothing is alerted twice or skipped.
  alert_state_ = std::make_unique<AlertState>();
  const auto saved = store_.get(kKeyAlertState);
  std::optional<AlertState> loaded = saved ? alert_state_from_json_text(*saved) : std::nullopt;
  if (loaded) {
    *alert_state_ = *loaded;
  } else {
    alert_state_->last_seq = ops_.status().journal_seq;
    store_.set(kKeyAlertState, to_json_text(*alert_state_));
  }
  throttle_ = std::make_unique<AlertThrottle>(options_.alert_rate, clock_());
}

void TelegramBot::alert_loop() {
  if (!alert_state_) return;  // alerts off
  while (!stopping_) {
    sleep_for(options_.alert_interval_ms, alert_wake_);
    if (stopping_) break;
    try {
      alert_pass();
    } catch (const std::exception& ex) {
      spdlog::error("telegram: alert pass failed: {}", ex.what());
    }
  }
}

void TelegramBot::alert_pass() {
  std::shared_ptr<BotApi> current = api();
  if (!current) return;  // no working token: leave the events for later
  const AlertState before = *alert_state_;
  std::vector<Alert> alerts;
  for (;;) {
    const auto page = ops_.events(alert_state_->last_seq, kEventBatch);
    if (!page.ok()) break;
    for (const auto& ev : page.value.events) {
      if (ev.seq <= alert_state_->last_seq) continue;
      for (auto& a : alerts_for_event(*alert_state_, ev)) alerts.push_back(std::move(a));
    }
    if (page.value.events.size() < kEventBatch) break;
  }
  if (auto a = capacity_transition(*alert_state_, ops_.accounts())) alerts.push_back(std::move(*a));
  for (auto& a : forecast_transitions(*alert_state_, ops_.forecast(), options_.forecast_horizon_ms))
    alerts.push_back(std::move(a));
  if (!(*alert_state_ == before)) store_.set(kKeyAlertState, to_json_text(*alert_state_));  // before sending
  for (const auto& a : throttle_->admit(mute_.filter(std::move(alerts), clock_()), clock_())) {
    const BotApiResult r = send_with_retry([&] { return current->send_message(options_.alert_chat, a.html); });
    if (!r.ok) spdlog::warn("telegram: alert {} not delivered: {}", a.key, r.description);
    else spdlog::info("telegram: alert sent: {}", a.key);
  }
}

}  // namespace qg::telegram
