// tests/postgres/postgres_server_test.cpp — the test harness itself: the shared server asks
// for the password, each create_database() is a separate empty database, and a private
// server started in a directory is gone (port closed, directory removed) after stop().
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <string>

using qg::test::PostgresServer;
using qg::test::shared_postgres;

namespace {

// The first column of the first row of `sql`, or "error: ..." (connection or query).
std::string query_one(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("error: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      out = std::string("error: ") + PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

}  // namespace

TEST_CASE("postgres test server: password auth and one empty database per create_database") {
  auto& pg = shared_postgres();
  REQUIRE(pg.port() > 0);
  CHECK(query_one(pg.dsn(), "SELECT 1") == "1");
  CHECK(query_one(pg.dsn(), "SHOW server_version_num").substr(0, 2) >= "15");

  // scram-sha-256 on 127.0.0.1: a wrong password is refused.
  const std::string wrong = "postgresql://" + pg.user() + ":not-" + pg.password() + "@127.0.0.1:" +
                            std::to_string(pg.port()) + "/postgres";
  CHECK(query_one(wrong, "SELECT 1").find("password authentication failed") != std::string::npos);

  const std::string a = pg.create_database();
  const std::string b = pg.create_database();
  CHECK(a != b);
  CHECK(query_one(a, "CREATE TABLE t(x int)") == "");
  CHECK(query_one(a, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "1");
  CHECK(query_one(b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
}

TEST_CASE("postgres test server: stop closes the port and removes the directory") {
  qg::test::TempDir parent("qg-pg-test");
  const auto dir = parent.path() / "cluster";
  auto server = PostgresServer::start(dir);
  const std::string dsn = server->dsn();
  CHECK(query_one(dsn, "SELECT current_user") == "qg_test");
  const auto cluster = server->cluster_dir();
  CHECK(std::filesystem::exists(cluster / "data" / "PG_VERSION"));
  CHECK(PostgresServer::attach(dir) != nullptr);

  server->stop();
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK_FALSE(std::filesystem::exists(cluster));
  CHECK(query_one(dsn, "SELECT 1").rfind("error: ", 0) == 0);
  CHECK(PostgresServer::attach(dir) == nullptr);
}
