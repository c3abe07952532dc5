// tests/cliproxy/quotaguard_command.hpp — the quotaguard binary for the `setup` / `check` /
// `forget` end-to-end tests, through tests/support's run_quotaguard: a clean environment, and
// under QG_TEST_STORAGE=postgres (`make test-postgres`) the log in PostgreSQL
// (tests/support/test_storage.hpp). The log read back the same way on either backend.
#pragma once

#include "tests/cliproxy/fake_process.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace qg::cliproxy::test {

// `quotaguard args...` with extra "K=V" environment entries.
RunResult quotaguard(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// Whether a log was written at `db` (the SQLite file; under the switch, its database).
bool log_written(const std::filesystem::path& db);
// What the log at `db` holds, as text to grep: the SQLite file's bytes (with -wal and -shm), or
// under the switch every event of its database (`replay --json --events-only`). "" when none.
std::string log_text(const std::filesystem::path& db);

}  // namespace qg::cliproxy::test
