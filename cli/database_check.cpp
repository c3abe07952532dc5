// cli/database_check.cpp — the "database" check: storage.db_path opens, is writable and
// passes SQLite's quick_check, or does not exist yet in a directory where it can be created;
// and its file system has room (a full disk stops the journal: RUNBOOK "DB full").
// Read-only: never creates or changes the file.
// With storage.backend: postgres it checks the database instead: it connects with
// storage.postgres.dsn (read-only session), the schema is QuotaGuard's and not newer than
// this build (or absent: serve creates it), every table of its version exists, event_head
// stands at the last event, and it says how many nodes are live and which holds the duties.
// The password is never shown.
#include "cli/checks.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/leader_decision.hpp"
#include "persistence/pg_connection.hpp"
#include "persistence/pg_nodes.hpp"
#include "persistence/pg_schema.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

namespace {

using qg::cli::CheckResult;

// Below this the check fails: a busy daemon writes a few MB of events per hour, and SQLite
// needs room for the WAL and checkpoints.
constexpr unsigned long long kMinFreeBytes = 64ull << 20;

// Bytes available to this user on the file system holding `dir`.
std::optional<unsigned long long> free_bytes(const std::filesystem::path& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return std::nullopt;
  return static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
}

std::string human(unsigned long long bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  else std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / (1ull << 20));
  return buf;
}

// "" when there is room, else the failure.
std::string space_problem(const std::string& path, const std::filesystem::path& dir, std::string* free_text) {
  const auto free = free_bytes(dir);
  if (!free) return "";
  *free_text = human(*free) + " free";
  if (*free >= kMinFreeBytes) return "";
  return path + ": only " + human(*free) + " free on its file system (the journal stops writing when it is full)";
}

CheckResult check_postgres(const qg::StorageConfig& storage) {
  try {
    auto c = qg::PgConnection::connect({storage.postgres.dsn, /*read_only=*/true, storage.postgres.statement_timeout});
    const std::string server = "PostgreSQL " + std::string(c->exec("SHOW server_version").text(0, 0));
    const qg::PgSchemaFound found = qg::pg_inspect_schema(*c);
    if (std::string problem = qg::pg_schema_problem(found); !problem.empty())
      return CheckResult::fail(c->error_text(problem));
    const std::string where = "storage.postgres: " + c->where() + ": connects (" + server + ")";
    if (found.version == 0)
      return CheckResult::ok(where + "; no QuotaGuard log yet: serve creates schema version " +
                             std::to_string(qg::kPgSchemaVersion));
    if (const auto missing = qg::pg_missing_tables(*c, found.version); !missing.empty()) {
      std::string names;
      for (const auto& t : missing) names += (names.empty() ? "" : ", ") + t;
      return CheckResult::fail(c->error_text("schema version " + std::to_string(found.version) +
                                             " but table(s) missing: " + names));
    }
    // event_head hands out seqs: it must stand at the last event (a restored or hand-edited
    // database where it does not would hand out a seq twice, or leave a gap).
    auto head = c->exec("SELECT (SELECT last_seq FROM event_head), (SELECT coalesce(max(seq), 0) FROM events)");
    const std::string last(head.text(0, 0)), max_seq(head.text(0, 1));
    if (last != max_seq)
      return CheckResult::fail(c->error_text("event_head.last_seq is " + last + " but the last event is seq " +
                                             max_seq + "; run quotaguard replay --verify"));
    std::string result = where + ", schema version " + std::to_string(found.version) + ", last seq " + last;
    if (found.version >= 2) {
      const auto nodes = qg::pg_read_nodes(*c, qg::system_clock_ms(), qg::LeaderTiming{}.check_every_ms);
      std::size_t live = 0;
      std::string duties = "none";
      for (const auto& n : nodes) {
        live += n.live;
        if (n.duties) duties = n.node;
      }
      result += ", " + std::to_string(live) + " live node(s) (duties: " + duties + ")";
    }
    return CheckResult::ok(result);
  } catch (const qg::StorageError& e) {
    return CheckResult::fail(e.what());
  }
}

CheckResult check_database(const qg::cli::CheckContext& ctx) {
  if (ctx.config().storage.backend == qg::StorageBackend::postgres) return check_postgres(ctx.config().storage);
  const std::string& path = ctx.config().storage.db_path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (!std::filesystem::is_directory(dir, ec))
      return CheckResult::fail(path + ": directory " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return CheckResult::fail(path + ": directory " + dir.string() + " is not writable");
    std::string free_text;
    if (auto problem = space_problem(path, dir, &free_text); !problem.empty()) return CheckResult::fail(problem);
    return CheckResult::ok(path + ": does not exist yet; will be created on first start" +
                           (free_text.empty() ? "" : " (" + free_text + ")"));
  }
  if (struct stat st {}; ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0222) == 0)
    return CheckResult::fail(path + ": is read-only; serve needs to write it");
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
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::string free_text;
  if (auto problem = space_problem(path, dir, &free_text); !problem.empty()) return CheckResult::fail(problem);
  return CheckResult::ok(path + ": opens, integrity ok" + (free_text.empty() ? "" : ", " + free_text));
}

}  // namespace

QG_REGISTER_CHECK(20, "database", check_database);
