// persistence/pg_connection.cpp — libpq: connecting, statements, one-line errors.
#include "persistence/pg_connection.hpp"

#include "config/redaction.hpp"

#include <libpq-fe.h>

#include <poll.h>

#include <cstdlib>

namespace qg {

namespace {

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...").
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The DSN's parsed options (PQconninfoParse); nullptr when it does not parse.
struct ConninfoOptions {
  PQconninfoOption* opts = nullptr;
  explicit ConninfoOptions(const std::string& dsn) {
    char* err = nullptr;
    opts = PQconninfoParse(dsn.c_str(), &err);
    if (err) PQfreemem(err);
  }
  ~ConninfoOptions() { if (opts) PQconninfoFree(opts); }
  std::string get(std::string_view keyword) const {
    for (auto* o = opts; o && o->keyword; ++o)
      if (keyword == o->keyword && o->val) return o->val;
    return "";
  }
};

// libpq's text parameters: pointers into `params`, valid while it lives.
std::vector<const char*> param_values(const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return values;
}

}  // namespace

std::string describe_dsn(const std::string& dsn) {
  ConninfoOptions parsed(dsn);
  if (!parsed.opts) return "(unparsable DSN)";
  const std::string host = parsed.get("host").empty() ? parsed.get("hostaddr") : parsed.get("host");
  std::string out = "postgresql://";
  if (const std::string user = parsed.get("user"); !user.empty()) out += user + "@";
  out += host.empty() ? "localhost" : host;
  if (const std::string port = parsed.get("port"); !port.empty()) out += ":" + port;
  out += "/" + parsed.get("dbname");
  return out;
}

void register_dsn_secret(const std::string& dsn) {
  register_secret(dsn);
  ConninfoOptions parsed(dsn);
  if (parsed.opts) register_secret(parsed.get("password"));
}

// ---- PgResult ------------------------------------------------------------------------------

PgResult::~PgResult() { PQclear(r_); }
int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }
std::string_view PgResult::text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}
std::int64_t PgResult::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

// ---- PgConnection --------------------------------------------------------------------------

PgConnection::PgConnection(PgOptions options)
    : options_(std::move(options)), where_(describe_dsn(options_.dsn)) {}

PgConnection::~PgConnection() { PQfinish(conn_); }

std::unique_ptr<PgConnection> PgConnection::connect(const PgOptions& options) {
  register_dsn_secret(options.dsn);
  std::unique_ptr<PgConnection> c(new PgConnection(options));
  c->open();
  return c;
}

std::string PgConnection::error_text(std::string_view what) const {
  return "storage.postgres: " + where_ + ": " + redact(one_line(what));
}

void PgConnection::open() {
  PQfinish(conn_);
  // Keywords before `dbname` are defaults the DSN's own settings override.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "quotaguard", options_.dsn.c_str(), nullptr};
  prepared_.clear();  // a new session knows none
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) throw StorageError(error_text("out of memory"));
  if (PQstatus(conn_) != CONNECTION_OK) throw StorageError(error_text(PQerrorMessage(conn_)));
  std::string setup = "SET statement_timeout = " + std::to_string(options_.statement_timeout.count());
  if (options_.read_only) setup += "; SET default_transaction_read_only = on";
  check(PQexec(conn_, setup.c_str()), setup);
}

void PgConnection::ensure_open() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return;
  if (in_transaction_) throw StorageError(error_text("connection lost inside a transaction"));
  open();
}

PgResult PgConnection::check(pg_result* r, std::string_view) {
  PgResult result(r);
  throw_if_failed(r);
  return result;
}

void PgConnection::throw_if_failed(const pg_result* r) const {
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  std::string message;
  if (r != nullptr) {
    if (const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) message = primary;
  }
  if (message.empty()) message = PQerrorMessage(conn_);
  throw StorageError(error_text(message));
}

PgResult PgConnection::exec(std::string_view sql) {
  ensure_open();
  const std::string text(sql);
  return check(PQexec(conn_, text.c_str()), sql);
}

PgResult PgConnection::exec(const char* sql, const std::vector<std::string>& params) {
  ensure_open();
  const std::vector<const char*> values = param_values(params);
  return check(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, 0),
               sql);
}

PgResult PgConnection::exec_prepared(const char* name, const char* sql, const std::vector<std::string>& params) {
  ensure_open();
  const std::vector<const char*> values = param_values(params);
  const int n = static_cast<int>(values.size());
  for (int attempt = 0;; ++attempt) {
    if (prepared_.count(name) == 0) {
      check(PQprepare(conn_, name, sql, n, nullptr), sql);
      prepared_.insert(name);
    }
    pg_result* r = PQexecPrepared(conn_, name, n, values.data(), nullptr, nullptr, 0);
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (attempt == 0 && state != nullptr && std::string_view(state) == "26000") {  // not known there
      PQclear(r);
      prepared_.erase(name);
      continue;
    }
    return check(r, sql);
  }
}

std::vector<PgResult> PgConnection::exec_all(std::string_view sql) {
  ensure_open();
  const std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) == 0) throw StorageError(error_text(PQerrorMessage(conn_)));
  // Every result, also after a failed statement: the connection is ready again only then.
  std::vector<pg_result*> raw;
  while (pg_result* r = PQgetResult(conn_)) raw.push_back(r);
  std::vector<PgResult> results;
  results.reserve(raw.size());
  for (pg_result* r : raw) results.emplace_back(r);  // owned (freed) from here on
  if (raw.empty()) throw_if_failed(nullptr);
  for (const pg_result* r : raw) throw_if_failed(r);
  return results;
}

bool PgConnection::wait_for_notification(std::chrono::milliseconds timeout, std::string_view skip_payload) {
  ensure_open();
  auto drain = [&] {
    bool got = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      if (skip_payload != (n->extra ? n->extra : "")) got = true;
      PQfreemem(n);
    }
    return got;
  };
  if (drain()) return true;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) throw StorageError(error_text("no socket"));
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  if (PQconsumeInput(conn_) == 0) throw StorageError(error_text(PQerrorMessage(conn_)));
  return drain();
}

// ---- PgTransaction -------------------------------------------------------------------------

PgTransaction::PgTransaction(PgConnection& c, std::string_view first) : c_(c) {
  try {
    if (first.empty()) {
      c_.exec("BEGIN");
    } else {
      first_ = c_.exec_all("BEGIN; " + std::string(first));
    }
  } catch (const StorageError&) {
    if (!first.empty()) {
      // BEGIN may have gone through and `first` failed: end that block here (no destructor will).
      try {
        c_.exec("ROLLBACK");
      } catch (const StorageError&) {
      }
    }
    throw;
  }
  c_.in_transaction_ = true;
}

PgTransaction::~PgTransaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (const StorageError&) {
    // The connection broke: the server rolled the transaction back itself.
  }
  c_.in_transaction_ = false;
}

void PgTransaction::commit() {
  c_.exec("COMMIT");
  c_.in_transaction_ = false;
  done_ = true;
}

}  // namespace qg
