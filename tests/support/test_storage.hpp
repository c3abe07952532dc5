// tests/support/test_storage.hpp — which event log backend the end-to-end tests run the binary
// on: the one switch behind `make test-postgres`.
//
//   QG_TEST_STORAGE=postgres ctest -L daemon     # what `make test-postgres` runs
//
// Unset (or `sqlite`), nothing changes. Set to `postgres`, every quotaguard process started by
// DaemonProcess or run_quotaguard gets QUOTAGUARD_STORAGE_BACKEND=postgres and a
// QUOTAGUARD_POSTGRES_DSN naming a database of the test binary's PostgreSQL server
// (postgres_server.hpp) that stands for the SQLite file the process would have used — the
// same file, found by the binary's own rule (--db, $QUOTAGUARD_DB_PATH, storage.db_path of the
// config the command reads, else ./quotaguard.db, relative to the process's directory), means
// the same database for the whole test case, so a daemon, its restart and the
// `replay --verify` / `simulate` run over its log all meet the same log. `--db` itself is
// then dropped from the arguments (simulate reads --db as an SQLite file). A process whose
// environment or config already names a PostgreSQL log is left alone.
//
// A test that is about SQLite itself (file permissions, a foreign file, a locked or full disk
// under the db file) calls skip_on_postgres("why") first: under the switch it prints the reason
// and exits 77, which ctest reports as Skipped (qg_add_test sets SKIP_RETURN_CODE 77).
#pragma once

#include "config/config.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg::test {

// QG_TEST_STORAGE == "postgres". Any other value but "" / "sqlite" throws (a typo would
// silently run the SQLite suite again).
bool postgres_storage();

// The database standing for the SQLite log at `db_path` (an absolute path): created on first
// use, the same DSN afterwards. Requires postgres_storage().
std::string postgres_log_for(const std::string& db_path);

// What the switch does to `quotaguard args...` run in `cwd` with `env` (the child's whole
// environment): adds the two variables to `env` and drops `--db X` from `args`. No-op under
// SQLite.
void apply_test_storage(std::vector<std::string>& args, const std::string& cwd,
                        std::map<std::string, std::string>& env);

// The storage settings of the log the binary would find at SQLite path `db_path`: that file, or
// under the switch its database — for tests that write a log themselves (open_event_log) and
// then run the binary on it.
StorageConfig test_log_storage(const std::string& db_path);

class DaemonProcess;
// GET /api/v1/reservations of a daemon just started on a log with reservations whose TTL passed
// while it was down. SQLite expires them at start-up, before /ready; on a shared PostgreSQL log
// the account actors' first sweep does, a tick after the node took the singleton duties
// (docs/EVENT_LOG.md §7), so under the switch this waits (at most 15 s) for the list to empty.
std::string open_reservations_after_restart(const DaemonProcess& d);

// Under the switch: prints "skipped on PostgreSQL: <why>" and exits 77. Otherwise returns.
void skip_on_postgres(const char* why);

}  // namespace qg::test
