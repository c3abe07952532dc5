// persistence/pg_settings.hpp — the PostgreSQL `settings` table: key/value rows every node
// shares (schema version 2; docs/EVENT_LOG.md §7). SQLite keeps the same rows in its own
// `settings` table (settings_store.hpp). Holds the Telegram bot's token, update offset and
// alert cursor, so the node that takes the duties over continues where the last one stopped.
#pragma once

#include "messages/event.hpp"
#include "persistence/pg_connection.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace qg {

// Throw StorageError.
std::optional<std::string> pg_get_setting(PgConnection& c, std::string_view key);
void pg_put_setting(PgConnection& c, std::string_view key, std::string_view value, TimeMs now);

}  // namespace qg
