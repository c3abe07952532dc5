// persistence/settings_store.hpp — the `settings` table: non-event key/value data.
//
// For values that are not part of the audited state, such as the Telegram bot token or the
// last Telegram update_id. Operator-visible setting changes are events (SettingChanged), not
// rows here. Values may be secret: never log them.
#pragma once

#include "messages/event.hpp"
#include "persistence/database.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

class SettingsStore {
 public:
  explicit SettingsStore(Database& db) : db_(db) {}

  struct Row {
    std::string key, value;
    TimeMs updated_at = 0;
  };

  std::optional<std::string> get(std::string_view key);
  std::vector<Row> rows();  // every row, by key (quotaguard migrate)
  void set(std::string_view key, std::string_view value, TimeMs now);
  void erase(std::string_view key);

 private:
  Database& db_;
};

}  // namespace qg
