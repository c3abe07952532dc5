// tests/persistence/crash_test.cpp — SIGKILL a process appending through the journal at
// random instants (>= 20 rounds, alternating synchronous normal/full). After each kill the
// log must pass `replay --verify` and hold every seq the child saw acknowledged
// (tests/persistence/crash_rounds.hpp; tests/postgres runs the same rounds on PostgreSQL).
#include "tests/persistence/crash_rounds.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace qg;

TEST_CASE("crash: SIGKILL at random instants loses no acknowledged append and breaks no invariant") {
  test::TempDir dir;
  StorageConfig storage;
  storage.db_path = dir.file("crash.db");
  test::run_crash_rounds(storage.db_path, storage, 22, 20261129);
  // The children checkpointed while they were killed at random (persistence/wal_checkpointer.hpp):
  // the WAL's pages reached the database file, which only a checkpoint writes past its first page.
  CHECK(std::filesystem::file_size(storage.db_path) > 4096);
}
