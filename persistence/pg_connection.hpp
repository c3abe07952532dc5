// persistence/pg_connection.hpp — one libpq connection to the PostgreSQL event log.
//
// Connects with the configured DSN (libpq URI or key=value; `connect_timeout` 5 s unless the
// DSN sets one, `application_name` quotaguard unless it sets one), then sets the session's
// `statement_timeout` and, for read-only opens, `default_transaction_read_only`, so the
// server itself refuses any write. A connection found broken (server restarted, network cut)
// is re-established before the next statement; a statement that fails on it throws, and the
// caller's retry (the journal's held events) runs it again on the new connection.
//
// Every error is a StorageError of one line, "storage.postgres: postgresql://user@host:port/db:
// <server's primary message>": the password is never in it (describe_dsn drops it, and
// register_dsn_secret makes the log sink scrub it wherever else it might appear).
// One thread at a time per connection (PgPool hands them out).
#pragma once

#include "persistence/database.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

struct pg_conn;
struct pg_result;

namespace qg {

struct PgOptions {
  std::string dsn;
  bool read_only = false;
  std::chrono::milliseconds statement_timeout{5000};  // 0 = none
};

// "postgresql://user@host:port/dbname" from the DSN's parts, without the password (the DSN
// text itself when libpq cannot parse it: then it holds no password libpq could use either,
// and it is also registered as a secret). Never throws.
std::string describe_dsn(const std::string& dsn);

// Adds the DSN's password (and the DSN itself) to the redaction registry (config/redaction.hpp).
void register_dsn_secret(const std::string& dsn);

class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  std::string_view text(int row, int col) const;  // "" for NULL
  std::int64_t int64(int row, int col) const;
  bool is_null(int row, int col) const;

 private:
  pg_result* r_ = nullptr;
};

class PgConnection {
 public:
  static std::unique_ptr<PgConnection> connect(const PgOptions& options);  // throws StorageError
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters); the last statement's result.
  PgResult exec(std::string_view sql);
  // The same, every statement's result, in order (one round trip).
  std::vector<PgResult> exec_all(std::string_view sql);
  // Runs one statement with text parameters $1, $2, ...
  PgResult exec(const char* sql, const std::vector<std::string>& params);
  // The same statement prepared on this connection under `name` the first time (one round trip
  // more, once), then only executed: the server parses, rewrites and plans it once per session,
  // not at every call (for the statements the journal sends at each commit and follow). A
  // connection opened again prepares it again; a server that does not know the name (SQLSTATE
  // 26000: DEALLOCATE ALL, a pooler that handed the session over) gets it prepared once more
  // and the call repeated. `name` and `sql` must go together for the connection's lifetime.
  PgResult exec_prepared(const char* name, const char* sql, const std::vector<std::string>& params);

  // After LISTEN: waits up to `timeout` for notifications; true when at least one arrived
  // whose payload is not `skip_payload` (all that did are consumed). Throws StorageError when
  // the connection broke.
  bool wait_for_notification(std::chrono::milliseconds timeout, std::string_view skip_payload);

  const std::string& where() const { return where_; }
  bool read_only() const { return options_.read_only; }
  // "storage.postgres: <where>: <what>"
  std::string error_text(std::string_view what) const;

 private:
  explicit PgConnection(PgOptions options);
  void open();             // connect + session settings; throws
  void ensure_open();      // reconnects a broken connection, except inside a transaction
  PgResult check(pg_result* r, std::string_view sql);  // owns `r`; throws when it failed
  void throw_if_failed(const pg_result* r) const;
  friend class PgTransaction;

  PgOptions options_;
  std::string where_;
  pg_conn* conn_ = nullptr;
  bool in_transaction_ = false;  // a reconnect now would run the rest outside it: refused
  std::unordered_set<std::string> prepared_;  // exec_prepared's names, this session
};

// BEGIN ... COMMIT on one connection; rolls back in the destructor unless committed. With
// `first` (statements without parameters), they are sent together with BEGIN, in one round
// trip; their results are first_result(i).
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& c, std::string_view first = {});
  ~PgTransaction();
  void commit();
  // The result of the i-th statement of `first`.
  const PgResult& first_result(std::size_t i) const { return first_.at(i + 1); }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

 private:
  PgConnection& c_;
  std::vector<PgResult> first_;  // BEGIN's, then `first`'s
  bool done_ = false;
};

}  // namespace qg
