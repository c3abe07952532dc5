// persistence/settings_store.cpp — SQL of the settings table.
#include "persistence/settings_store.hpp"

namespace qg {

std::optional<std::string> SettingsStore::get(std::string_view key) {
  Statement st = db_.prepare("SELECT value FROM settings WHERE key = ?1");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return std::string(st.column_text(0));
}

std::vector<SettingsStore::Row> SettingsStore::rows() {
  Statement st = db_.prepare("SELECT key, value, updated_at FROM settings ORDER BY key");
  std::vector<Row> out;
  while (st.step()) out.push_back({std::string(st.column_text(0)), std::string(st.column_text(1)), st.column_int(2)});
  return out;
}

void SettingsStore::set(std::string_view key, std::string_view value, TimeMs now) {
  Statement st = db_.prepare(
      "INSERT INTO settings(key, value, updated_at) VALUES(?1, ?2, ?3)"
      " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
  st.bind(1, key).bind(2, value).bind(3, now);
  st.step();
}

void SettingsStore::erase(std::string_view key) {
  Statement st = db_.prepare("DELETE FROM settings WHERE key = ?1");
  st.bind(1, key);
  st.step();
}

}  // namespace qg
