// persistence/migrate.hpp — `quotaguard migrate`: move a single node's SQLite log into an empty
// PostgreSQL log, so the node (and others) can run on storage.backend: postgres.
//
// Every event row is copied verbatim — seq, ts, type, account, payload version and payload
// text, unknown types included — in seq order, in batches of `batch` rows (one statement
// each), tagged with `to.node_id`; then the source's readable snapshots. Refused with one line
// and nothing written (exit 2): a source that does not open read-only, a target log that is not
// empty, a source whose seqs are not 1..N without a gap (run `replay --verify` on it first).
// Afterwards the target's last seq equals the source's. A copy that fails half-way (exit 2)
// leaves the rows written so far: drop the target's tables and run it again. Last, the rows of
// the `settings` table (the Telegram bot's token, its fingerprint and cursors) go into the
// target's shared `settings` table, keeping any key it has already (a `settoken` run against
// it). Output on `out`: "migrate: N events (seq 1..N) and S snapshot(s) from PATH to
// storage.postgres: postgresql://USER@HOST:PORT/DB", then, when settings were copied,
// "migrate: K setting(s) (the Telegram bot's token and cursors) copied" (never their values).
#pragma once

#include "config/config.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>

namespace qg {

struct MigrateOptions {
  std::string from;     // the SQLite file
  PostgresConfig to;    // dsn, node_id (tags the copied events), statement_timeout
  std::size_t batch = 2000;
};

// Exit code: 0 copied, 2 refused or failed (one line on `err`).
int run_migrate(const MigrateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qg
