// telegram/bot_settings.cpp — settings-table rows of the bot.
#include "telegram/bot_settings.hpp"
#include "messages/wall_clock.hpp"

#include "persistence/database.hpp"
#include "persistence/pg_connection.hpp"
#include "persistence/pg_schema.hpp"
#include "persistence/pg_settings.hpp"
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

namespace {

// The shared settings table on a connection of its own (one mutex: the poller, the alerter and
// webhook requests share it). A broken connection is re-opened before the next statement.
class PgBotStore : public BotStore {
 public:
  explicit PgBotStore(const PostgresConfig& config)
      : conn_(PgConnection::connect({config.dsn, false, config.statement_timeout})) {
    pg_open_schema(*conn_);  // `settoken` before the first serve: the tables as serve makes them
  }
  std::optional<std::string> get(std::string_view key) override {
    std::lock_guard lock(mu_);
    return pg_get_setting(*conn_, key);
  }
  void set(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    pg_put_setting(*conn_, key, value, system_clock_ms());
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace

std::unique_ptr<BotStore> open_bot_store(const StorageConfig& storage) {
  if (storage.backend == StorageBackend::postgres) {
    if (storage.postgres.dsn.empty()) throw StorageError("storage.postgres.dsn: empty");
    return std::make_unique<PgBotStore>(storage.postgres);
  }
  return std::make_unique<SqliteBotStore>(storage.db_path);
}

std::string bot_store_location(const StorageConfig& storage) {
  if (storage.backend == StorageBackend::postgres)
    return "storage.postgres: " + describe_dsn(storage.postgres.dsn) + " (shared by every node)";
  return storage.db_path;
}

}  // namespace qg::telegram
