// cli/database_check.cpp — the "database" check: storage.db_path opens and passes
// SQLite's quick_check, or does not exist yet in a directory where it can be created.
// Read-only: never creates or changes the file.
#include "cli/checks.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace {

using qg::cli::CheckResult;

CheckResult check_database(const qg::cli::CheckContext& ctx) {
  const std::string& path = ctx.config().storage.db_path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (!std::filesystem::is_directory(dir, ec))
      return CheckResult::fail(path + ": directory " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return CheckResult::fail(path + ": directory " + dir.string() + " is not writable");
    return CheckResult::ok(path + ": does not exist yet; will be created on first start");
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return CheckResult::fail(path + ": cannot open (" + msg + ")");
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* stmt = nullptr;
  std::string verdict;
  rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &stmt, nullptr);
  if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    verdict = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  } else {
    verdict = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (verdict != "ok")
    return CheckResult::fail(path + ": integrity check failed (" + verdict + ")");
  return CheckResult::ok(path + ": opens, integrity ok");
}

}  // namespace

QG_REGISTER_CHECK(20, "database", check_database);
