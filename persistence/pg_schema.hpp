// persistence/pg_schema.hpp — the PostgreSQL event log's tables and their migrations.
//
// The schema version is the one row of `quotaguard_schema` (the SQLite file's PRAGMA
// user_version). Read-write opens run every migration from the database's version up to the
// build's in one transaction, under a transaction-level advisory lock (kPgSchemaLock), so
// nodes starting together migrate once and the others see the result. Tables live in the
// DSN's database and search_path (docs/EVENT_LOG.md §7 has the DDL).
//
// Refusals (StorageError, one line, nothing written): an `events` table QuotaGuard did not
// create (no `quotaguard_schema` beside it), a schema newer than this build, and for
// read-only opens a database with no QuotaGuard log yet.
#pragma once

#include "persistence/pg_connection.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

// The schema version this build writes.
inline constexpr int kPgSchemaVersion = 2;
// pg_advisory_xact_lock key taken while migrating ("QGSC" in ASCII).
inline constexpr std::int64_t kPgSchemaLock = 0x51475343;

// What a database holds (read-only look: `quotaguard check` uses it too).
struct PgSchemaFound {
  bool schema_table = false;  // quotaguard_schema exists
  bool events_table = false;  // events exists
  int version = 0;            // quotaguard_schema's version (0 = none yet)
};
PgSchemaFound pg_inspect_schema(PgConnection& c);
// Why this build cannot use the database ("" when it can): a foreign events table, or a
// schema newer than kPgSchemaVersion.
std::string pg_schema_problem(const PgSchemaFound& found);

// The tables schema `version` has that the database lacks (`quotaguard check`: a dropped or
// renamed table is named, not met later as a failed statement).
std::vector<std::string> pg_missing_tables(PgConnection& c, int version);

// Validates, and for read-write connections migrates; returns the schema version found (before
// migrating). Throws StorageError.
int pg_open_schema(PgConnection& c);

}  // namespace qg
