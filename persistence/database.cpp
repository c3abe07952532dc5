// persistence/database.cpp — opening, validating and migrating the SQLite file.
#include "persistence/database.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace qg {

namespace {

// kMigrations[i] moves the schema from user_version i to i + 1.
const std::vector<const char*> kMigrations = {
    // 0 -> 1: the event log, snapshots of the folded state, and non-event settings.
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  account TEXT NOT NULL DEFAULT '',"
    "  version INTEGER NOT NULL,"
    "  data TEXT NOT NULL);"
    "CREATE TABLE snapshots("
    "  seq INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  data TEXT NOT NULL,"
    "  checksum TEXT NOT NULL);"
    "CREATE TABLE settings("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);",
};

std::string prefix(const std::string& path) { return "storage.db_path: " + path; }

}  // namespace

bool parse_synchronous(std::string_view text, Synchronous& out) {
  if (text == "normal") out = Synchronous::normal;
  else if (text == "full") out = Synchronous::full;
  else return false;
  return true;
}

// ---- Statement -----------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK)
    throw StorageError(std::string("SQL prepare failed: ") + sqlite3_errmsg(db));
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string msg = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw StorageError(msg);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string_view Statement::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

// ---- Database ------------------------------------------------------------------------------

std::unique_ptr<Database> Database::open(const DatabaseOptions& options) {
  namespace fs = std::filesystem;
  const std::string& path = options.path;
  if (path.empty()) throw StorageError("storage.db_path: empty path");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw StorageError("storage.db_path: directory " + dir.string() + " does not exist");
  const bool exists = fs::exists(path, ec);
  if (exists && fs::is_directory(path, ec)) throw StorageError(prefix(path) + " is a directory");
  const bool rw = options.mode == OpenMode::read_write;
  if (!exists) {
    if (!rw) throw StorageError(prefix(path) + " does not exist");
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      throw StorageError(prefix(path) + ": cannot create (" + std::strerror(errno) + ")");
    if (fd >= 0) ::close(fd);
  } else if (::access(path.c_str(), R_OK) != 0) {
    throw StorageError(prefix(path) + " is not readable (" + std::strerror(errno) + ")");
  } else if (rw && ::access(path.c_str(), W_OK) != 0) {
    throw StorageError(prefix(path) + " is read-only (" + std::strerror(errno) + ")");
  } else if (struct stat st{}; rw && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0222) == 0) {
    // No write bit at all: the operator marked it read-only (root would be let through).
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw StorageError(prefix(path) + " is read-only (mode " + mode + ")");
  }

  std::unique_ptr<Database> db(new Database(options));
  const int flags = (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db->db_, flags, nullptr) != SQLITE_OK)
    throw StorageError(db->error_text("cannot open"));
  sqlite3_extended_result_codes(db->db_, 1);
  sqlite3_busy_timeout(db->db_, options.busy_timeout_ms);
  if (rw && sqlite3_db_readonly(db->db_, "main") == 1)
    throw StorageError(prefix(path) + " is read-only");
  db->validate_and_migrate();
  return db;
}

Database::~Database() {
  begin_ = Statement();
  commit_ = Statement();
  sqlite3_close_v2(db_);
}

std::string Database::error_text(std::string_view what) const {
  return prefix(options_.path) + ": " + std::string(what) + " (" +
         (db_ ? sqlite3_errmsg(db_) : "out of memory") + ")";
}

void Database::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string err = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    throw StorageError(prefix(options_.path) + ": " + err);
  }
}

void Database::step_once(Statement& st, std::string_view sql) {
  if (!st.prepared()) st = Statement(db_, sql);
  try {
    st.step();
  } catch (const StorageError& e) {  // the statement is reset; the message as exec() words it
    throw StorageError(prefix(options_.path) + ": " + e.what());
  }
  st.reset();
}

void Database::begin_immediate() { step_once(begin_, "BEGIN IMMEDIATE"); }

void Database::commit() { step_once(commit_, "COMMIT"); }

int Database::schema_version() {
  Statement st(db_, "PRAGMA user_version");
  return st.step() ? static_cast<int>(st.column_int(0)) : 0;
}

void Database::validate_and_migrate() {
  const std::string& path = options_.path;
  // Read first: a foreign or corrupt file must be rejected before anything is written.
  std::vector<std::string> tables;
  int version = 0;
  try {
    Statement st(db_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (st.step()) tables.emplace_back(st.column_text(0));
    version = schema_version();
  } catch (const StorageError& e) {
    throw StorageError(prefix(path) + " is not a QuotaGuard database (" + e.what() + ")");
  }
  const bool has_events = std::find(tables.begin(), tables.end(), "events") != tables.end();
  if (version > kSchemaVersion)
    throw StorageError(prefix(path) + " has schema version " + std::to_string(version) +
                       ", newer than this build supports (" + std::to_string(kSchemaVersion) +
                       "); upgrade quotaguard");
  if ((version == 0 && !tables.empty()) || (version > 0 && !has_events)) {
    std::string names;
    for (std::size_t i = 0; i < tables.size() && i < 3; ++i) names += (i ? ", " : "") + tables[i];
    throw StorageError(prefix(path) + " is an SQLite database of another application (tables: " +
                       (names.empty() ? "none" : names) + ")");
  }
  if (read_only()) {
    if (version == 0) throw StorageError(prefix(path) + " is empty (no QuotaGuard event log yet)");
    return;
  }
  {
    Statement wal(db_, "PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.column_text(0) != "wal")
      throw StorageError(error_text("cannot switch to WAL mode"));
  }
  exec(options_.synchronous == Synchronous::full ? "PRAGMA synchronous = FULL"
                                                 : "PRAGMA synchronous = NORMAL");
  for (int v = version; v < kSchemaVersion; ++v) {
    Transaction tx(*this);
    exec(kMigrations[static_cast<std::size_t>(v)]);
    exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

// ---- Transaction ---------------------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(db) { db_.begin_immediate(); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.commit();
  done_ = true;
}

}  // namespace qg
