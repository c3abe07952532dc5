// persistence/database.hpp — one SQLite connection to the QuotaGuard event log file.
//
// Opening validates the file before writing anything: a missing directory, a file that is
// not SQLite, an SQLite file of another application, a schema newer than this build, or a
// read-only file each raise StorageError with one line naming the path. A new file is
// created mode 0600 (SQLite gives the -wal/-shm files the same mode). Read-write opens put
// the file in WAL mode and run the schema migrations (PRAGMA user_version). Read-only opens
// never write, so `replay` can audit a file while a daemon appends to it.
//
// A Database and its Statements belong to one thread at a time.
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace qg {

// A storage problem, with a one-line message meant for the operator.
struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class OpenMode { read_write, read_only };
// Synchronous (normal | full) is defined once, in config/config.hpp.

// The schema version this build writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 1;

struct DatabaseOptions {
  std::string path;
  OpenMode mode = OpenMode::read_write;
  Synchronous synchronous = Synchronous::normal;
  int busy_timeout_ms = 5000;
};

// "normal" / "full"; nullopt-like: returns false for anything else.
bool parse_synchronous(std::string_view text, Synchronous& out);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql);  // throws StorageError
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);   // 1-based
  Statement& bind(int index, std::string_view text);
  // Binds `text` without SQLite's copy: it must stay valid until reset() (which unbinds it).
  Statement& bind_static(int index, std::string_view text);
  // Steps once: true when a row is available, false when done. Throws on error.
  bool step();
  void reset();  // also clears bindings

  std::int64_t column_int(int index) const;         // 0-based
  std::string_view column_text(int index) const;   // valid until the next step/reset
  bool column_is_null(int index) const;
  bool prepared() const { return stmt_ != nullptr; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating when read-write and missing) and validates. Throws StorageError.
  static std::unique_ptr<Database> open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);  // throws StorageError
  // BEGIN IMMEDIATE / COMMIT as statements prepared once (Transaction), not parsed per call
  // as exec() does. Throw StorageError as exec() does.
  void begin_immediate();
  void commit();
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return options_.path; }
  bool read_only() const { return options_.mode == OpenMode::read_only; }
  Synchronous synchronous() const { return options_.synchronous; }
  int busy_timeout_ms() const { return options_.busy_timeout_ms; }
  int schema_version();

  // "path: message" for errors raised by this connection.
  std::string error_text(std::string_view what) const;

 private:
  explicit Database(DatabaseOptions options) : options_(std::move(options)) {}
  void validate_and_migrate();
  void step_once(Statement& st, std::string_view sql);  // prepared on first use
  DatabaseOptions options_;
  sqlite3* db_ = nullptr;
  Statement begin_;   // "BEGIN IMMEDIATE"
  Statement commit_;  // "COMMIT"
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace qg
