// cli/telegram_check.cpp — the "telegram" check of `quotaguard check`: the bot token the
// daemon would use (environment, stored by settoken, or config) is accepted by getMe at
// telegram.api_base. Skipped when Telegram is off and no token is set. Read-only: the
// database is opened read-only, and only getMe is called. The token never reaches the output.
#include "telegram/bot_settings.hpp"
#include "cli/checks.hpp"
#include "http/telegram_client.hpp"
#include "persistence/database.hpp"
#include "persistence/pg_connection.hpp"
#include "persistence/pg_schema.hpp"
#include "persistence/pg_settings.hpp"
#include "persistence/settings_store.hpp"

#include <cstdlib>
#include <filesystem>

namespace {

using qg::cli::CheckResult;

// On PostgreSQL the token `settoken` stored is in the shared settings table (read-only session).
std::optional<qg::telegram::StoredToken> stored_token_pg(const qg::PostgresConfig& pg) {
  try {
    auto c = qg::PgConnection::connect({pg.dsn, /*read_only=*/true, pg.statement_timeout});
    if (qg::pg_inspect_schema(*c).version < 2) return std::nullopt;
    auto token = qg::pg_get_setting(*c, qg::telegram::kKeyToken);
    if (!token || token->empty()) return std::nullopt;
    return qg::telegram::StoredToken{*token, qg::pg_get_setting(*c, qg::telegram::kKeyTokenConfigFingerprint).value_or("")};
  } catch (const std::exception&) {
    return std::nullopt;  // the database check reports an unreachable server
  }
}

std::optional<qg::telegram::StoredToken> stored_token(const qg::StorageConfig& storage) {
  if (storage.backend == qg::StorageBackend::postgres) return stored_token_pg(storage.postgres);
  const std::string& db_path = storage.db_path;
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) return std::nullopt;
  try {
    qg::DatabaseOptions options;
    options.path = db_path;
    options.mode = qg::OpenMode::read_only;
    auto db = qg::Database::open(options);
    qg::SettingsStore settings(*db);
    auto token = settings.get(qg::telegram::kKeyToken);
    if (!token || token->empty()) return std::nullopt;
    return qg::telegram::StoredToken{*token, settings.get(qg::telegram::kKeyTokenConfigFingerprint).value_or("")};
  } catch (const std::exception&) {
    return std::nullopt;  // the database check reports an unreadable file
  }
}

CheckResult check_telegram(const qg::cli::CheckContext& ctx) {
  const qg::TelegramConfig& t = ctx.config().telegram;
  const char* env = std::getenv("QUOTAGUARD_TELEGRAM_TOKEN");
  const auto choice = qg::telegram::choose_token(env ? env : "", stored_token(ctx.config().storage), t.token);
  if (!t.enabled && choice.token.empty()) return CheckResult::skip("telegram.enabled is false");
  if (choice.token.empty())
    return CheckResult::fail("telegram.enabled is true but no bot token is set (telegram.token, "
                             "QUOTAGUARD_TELEGRAM_TOKEN or `quotaguard settoken`)");
  const std::string bad_base = qg::telegram::TelegramClient::validate_api_base(t.api_base);
  if (!bad_base.empty()) return CheckResult::fail(bad_base);
  qg::telegram::TelegramClientOptions options;
  options.connect_timeout_s = 5;
  options.request_timeout_s = 10;
  qg::telegram::TelegramClient client(t.api_base, choice.token, options);
  const auto me = client.get_me();
  if (me.unauthorized())
    return CheckResult::fail(std::string("token from ") + choice.source + " rejected by Telegram (401 Unauthorized)");
  if (!me.ok) return CheckResult::fail("getMe at " + t.api_base + " failed: " + me.description);
  const std::string name = me.result.is_object() ? me.result.value("username", std::string()) : "";
  return CheckResult::ok("token from " + std::string(choice.source) + " valid: @" + name);
}

}  // namespace

QG_REGISTER_CHECK(50, "telegram", check_telegram);
