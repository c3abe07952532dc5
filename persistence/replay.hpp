// persistence/replay.hpp — `quotaguard replay`: print the log and the state it rebuilds, or
// audit it (--verify). Opens the log read-only (SQLite or PostgreSQL: open_event_log), so it
// is safe on a copy and while daemons are appending (a WAL reader; PostgreSQL commits in seq
// order, so a scan sees a prefix of the log).
//
// Output (INTERFACE §1/§5):
//   text mode    one line per event "seq ts type account data", then the state per account
//   --json       one {"seq","ts","type","account","data"} object per line, then {"state":{...}}
//   --events-only  no state at the end
//   --verify     instead of events: one line per violation ("seq N: ...") and a summary line;
//                with --json {"violation":{...}} lines and {"verify":{...}}. Exit 1 on any.
// Filters: --since/--until take a seq (digits) or an ISO 8601 time and bound the events
// printed; the state is the fold of every event up to --until. --account limits the events
// and the accounts shown. --verify always checks the whole log.
// Exit codes: 0 ok, 1 verification failed, 2 usage or storage error (one line on `err`).
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace qg {

struct ReplayOptions {
  StorageConfig storage;  // which log: backend, db_path or postgres.dsn
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> account;
  bool json = false;
  bool events_only = false;
  bool verify = false;
  std::uint64_t progress_every = 1'000'000;  // progress line on `err` every N events (0 = never)
};

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qg
