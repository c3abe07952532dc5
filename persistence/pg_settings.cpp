// persistence/pg_settings.cpp — SQL of the shared settings table (see the header).
#include "persistence/pg_settings.hpp"

namespace qg {

std::optional<std::string> pg_get_setting(PgConnection& c, std::string_view key) {
  auto r = c.exec("SELECT value FROM settings WHERE key = $1", {std::string(key)});
  if (r.rows() == 0) return std::nullopt;
  return std::string(r.text(0, 0));
}

void pg_put_setting(PgConnection& c, std::string_view key, std::string_view value, TimeMs now) {
  c.exec("INSERT INTO settings(key, value, updated) VALUES ($1, $2, $3) "
         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated = EXCLUDED.updated",
         {std::string(key), std::string(value), std::to_string(now)});
}

}  // namespace qg
