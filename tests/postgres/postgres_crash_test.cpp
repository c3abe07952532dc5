// tests/postgres/postgres_crash_test.cpp — the crash test on PostgreSQL: a process appending
// through the journal to the PostgreSQL log is SIGKILLed at random instants; after each kill
// `replay --verify` passes and every acknowledged seq is in the log (tests/persistence/
// crash_rounds.hpp). A killed client's open statement is rolled back by the server, so the
// one-statement append leaves no gap.
#include "tests/persistence/crash_rounds.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>

TEST_CASE("crash on PostgreSQL: SIGKILL at random instants loses no acknowledged append") {
  qg::StorageConfig storage;
  storage.backend = qg::StorageBackend::postgres;
  storage.postgres.dsn = qg::test::shared_postgres().create_database();
  qg::test::run_crash_rounds(storage.postgres.dsn, storage, 10, 20261206);
}
