// tests/postgres/pg_prepared_test.cpp — PgConnection::exec_prepared against a real server: the
// statement is prepared once per session and then only executed, and it is prepared again when
// the server no longer knows it (DEALLOCATE ALL, as a pooler handing the session over would
// show) and after the connection was opened again (the server ended the session).
#include "persistence/pg_connection.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {

// How often this session ran the prepared statement `name` (generic + custom plans; PG >= 14),
// and whether it knows it at all ("" when not).
std::string runs(PgConnection& c, const std::string& name) {
  auto r = c.exec("SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = '" + name + "'");
  return r.rows() == 0 ? "" : std::string(r.text(0, 0));
}

}  // namespace

TEST_CASE("postgres connection: a prepared statement is parsed once per session, prepared again when the server lost it") {
  auto& pg = test::shared_postgres();
  const std::string dsn = pg.create_database();
  auto c = PgConnection::connect({dsn, false, std::chrono::seconds{5}});
  const char* sql = "SELECT $1::integer + 1";
  CHECK(runs(*c, "qg_t").empty());
  CHECK(c->exec_prepared("qg_t", sql, {"41"}).text(0, 0) == "42");
  CHECK(c->exec_prepared("qg_t", sql, {"1"}).text(0, 0) == "2");
  CHECK(runs(*c, "qg_t") == "2");  // one statement, executed twice: not one per call

  c->exec("DEALLOCATE ALL");  // the server forgot it: prepared again, the call repeated
  CHECK(c->exec_prepared("qg_t", sql, {"6"}).text(0, 0) == "7");
  CHECK(runs(*c, "qg_t") == "1");

  // The server ends the session: the next call may fail (as any statement on a broken
  // connection), the one after runs on a new session, prepared there.
  const std::string pid(c->exec("SELECT pg_backend_pid()").text(0, 0));
  pg.exec("SELECT pg_terminate_backend(" + pid + ")");
  try {
    c->exec_prepared("qg_t", sql, {"0"});
  } catch (const StorageError&) {
  }
  CHECK(c->exec_prepared("qg_t", sql, {"9"}).text(0, 0) == "10");
  CHECK(std::string(c->exec("SELECT pg_backend_pid()").text(0, 0)) != pid);
  CHECK(runs(*c, "qg_t") != "");
}
