// tests/persistence/crash_rounds.hpp — the crash test's rounds, for either backend: start
// QG_CRASH_CHILD on a log (an SQLite path or a PostgreSQL DSN), let it append through the
// journal, SIGKILL it at a random instant, then check that `replay --verify` passes and that
// every seq the child saw acknowledged is in the log. Compiled into each test binary that
// defines QG_CRASH_CHILD.
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <string>

namespace qg::test {

// `rounds` kills of the child on `target` (synchronous alternating normal/full, which the
// PostgreSQL child ignores), each followed by the checks against `storage` (the same log).
// Returns the last seq of the log; failures are doctest CHECK/REQUIREs.
std::uint64_t run_crash_rounds(const std::string& target, const StorageConfig& storage, int rounds,
                               std::uint32_t seed);

}  // namespace qg::test
