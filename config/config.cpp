// config/config.cpp — enum names and small helpers of config.hpp.
#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace qg {
namespace {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, const char*>, N>;

constexpr NameTable<Synchronous, 2> kSynchronous{{{Synchronous::normal, "normal"},
                                                  {Synchronous::full, "full"}}};
constexpr NameTable<OnJournalError, 2> kOnError{{{OnJournalError::reject, "reject"},
                                                 {OnJournalError::allow, "allow"}}};
constexpr NameTable<StorageBackend, 2> kBackend{{{StorageBackend::sqlite, "sqlite"},
                                                 {StorageBackend::postgres, "postgres"}}};
constexpr NameTable<LogLevel, 5> kLogLevel{{{LogLevel::trace, "trace"},
                                            {LogLevel::debug, "debug"},
                                            {LogLevel::info, "info"},
                                            {LogLevel::warn, "warn"},
                                            {LogLevel::error, "error"}}};
constexpr NameTable<LogFormat, 2> kLogFormat{{{LogFormat::text, "text"},
                                              {LogFormat::json, "json"}}};

template <typename E, std::size_t N>
const char* name_of(const NameTable<E, N>& table, E v) {
  for (const auto& [value, name] : table)
    if (value == v) return name;
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const NameTable<E, N>& table, std::string_view s) {
  for (const auto& [value, name] : table)
    if (s == name) return value;
  return std::nullopt;
}

}  // namespace

const char* to_string(Synchronous v) { return name_of(kSynchronous, v); }
const char* to_string(OnJournalError v) { return name_of(kOnError, v); }
const char* to_string(StorageBackend v) { return name_of(kBackend, v); }
const char* to_string(LogLevel v) { return name_of(kLogLevel, v); }
const char* to_string(LogFormat v) { return name_of(kLogFormat, v); }
std::optional<Synchronous> synchronous_from_string(std::string_view s) {
  return value_of(kSynchronous, s);
}
std::optional<StorageBackend> storage_backend_from_string(std::string_view s) {
  return value_of(kBackend, s);
}
std::optional<OnJournalError> on_error_from_string(std::string_view s) {
  return value_of(kOnError, s);
}
std::optional<LogLevel> log_level_from_string(std::string_view s) {
  return value_of(kLogLevel, s);
}
std::optional<LogFormat> log_format_from_string(std::string_view s) {
  return value_of(kLogFormat, s);
}

std::vector<std::string> config_secrets(const Config& cfg) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& s) {
    if (!s.empty()) out.push_back(s);
  };
  for (const auto& key : cfg.server.api_keys) add(key);
  add(cfg.server.admin_token);
  add(cfg.cliproxy.api_key);
  add(cfg.cliproxy.management_key);
  for (const auto& account : cfg.accounts) add(account.api_key);
  add(cfg.telegram.token);
  add(cfg.telegram.webhook_secret);
  add(cfg.storage.postgres.dsn);  // the whole string; the password alone is registered when the log opens
  return out;
}

std::size_t actor_scheduler_workers(int configured, unsigned cores) {
  if (configured > 0) return static_cast<std::size_t>(configured);
  return std::max<std::size_t>(1, cores / 2);
}

std::string expand_user_path(std::string_view path) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/'))
    return std::string(path);
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + std::string(path.substr(1));
}

}  // namespace qg
