// telegram/bot_settings.cpp — settings-table rows of the bot.
#include "telegram/bot_settings.hpp"
#include "messages/wall_clock.hpp"

#include "persistence/database.hpp"
#include "persistence/settings_store.hpp"

#include <chrono>

namespace qg::telegram {

void store_bot_token(BotStore& store, std::string_view token, std::string_view config_token) {
  store.set(kKeyTokenConfigFingerprint, token_fingerprint(config_token));
  store.set(kKeyToken, token);
}

std::optional<StoredToken> load_bot_token(BotStore& store) {
  auto token = store.get(kKeyToken);
  if (!token || token->empty()) return std::nullopt;
  return StoredToken{*token, store.get(kKeyTokenConfigFingerprint).value_or("")};
}

SqliteBotStore::SqliteBotStore(const std::string& db_path) {
  DatabaseOptions options;
  options.path = db_path;
  db_ = Database::open(options);
  settings_ = std::make_unique<SettingsStore>(*db_);
}

SqliteBotStore::~SqliteBotStore() = default;

std::optional<std::string> SqliteBotStore::get(std::string_view key) {
  std::lock_guard lock(mu_);
  return settings_->get(key);
}

void SqliteBotStore::set(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  settings_->set(key, value, system_clock_ms());
}

}  // namespace qg::telegram
