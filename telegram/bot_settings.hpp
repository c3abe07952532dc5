// telegram/bot_settings.hpp — the bot's rows in the settings table.
//
// The bot keeps three things across restarts, all in persistence's `settings` table (not
// events: they are not audited state, and the token is a secret):
//   telegram.token (+ telegram.token_config_fingerprint)  the token from /settoken or
//        `quotaguard settoken` (see bot_token.hpp for precedence)
//   telegram.next_update_offset   last processed update_id + 1, written BEFORE a command
//        runs, so no command runs twice after a restart (at most once)
//   telegram.alert_state          the alert cursor (last event seq alerted) and dedup state,
//        written BEFORE the alerts go out, so each alert is sent at most once
// `BotStore` is the small interface the bot uses; `SqliteBotStore` implements it over its own
// SQLite connection (thread-safe: one mutex), so it works inside the daemon and in tests.
// With storage.backend: postgres the rows live in the database's shared `settings` table
// (persistence/pg_settings.hpp) instead: every node sees one token, one update offset and
// one alert cursor, so whichever node holds the duties (persistence/leadership.hpp) polls
// and alerts from where the previous holder stopped. open_bot_store picks the right one.
#pragma once

#include "telegram/bot_token.hpp"
#include "config/config.hpp"
#include "messages/event.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace qg {
class Database;
class SettingsStore;
}

namespace qg::telegram {

inline constexpr std::string_view kKeyToken = "telegram.token";
inline constexpr std::string_view kKeyTokenConfigFingerprint = "telegram.token_config_fingerprint";
inline constexpr std::string_view kKeyNextOffset = "telegram.next_update_offset";
inline constexpr std::string_view kKeyAlertState = "telegram.alert_state";

class BotStore {
 public:
  virtual ~BotStore() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void set(std::string_view key, std::string_view value) = 0;
};

// Stores a token as /settoken does (remembering which config token it overrides).
void store_bot_token(BotStore& store, std::string_view token, std::string_view config_token);
std::optional<StoredToken> load_bot_token(BotStore& store);

// The store `storage` names: storage.db_path's settings table, or PostgreSQL's. Throws
// StorageError.
std::unique_ptr<BotStore> open_bot_store(const StorageConfig& storage);
// Where open_bot_store keeps the rows, for messages (never a password).
std::string bot_store_location(const StorageConfig& storage);

class SqliteBotStore : public BotStore {
 public:
  // Opens (read-write) the QuotaGuard database at `db_path`. Throws StorageError.
  explicit SqliteBotStore(const std::string& db_path);
  ~SqliteBotStore() override;

  std::optional<std::string> get(std::string_view key) override;
  void set(std::string_view key, std::string_view value) override;

 private:
  std::mutex mu_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SettingsStore> settings_;
};

}  // namespace qg::telegram
