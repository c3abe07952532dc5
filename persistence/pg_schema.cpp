// persistence/pg_schema.cpp — validation and migrations of the PostgreSQL schema.
#include "persistence/pg_schema.hpp"

#include <string>
#include <vector>

namespace qg {

namespace {

// kMigrations[i] moves the schema from version i to i + 1.
const std::vector<const char*> kMigrations = {
    // 0 -> 1: the event log (seq assigned from event_head, see postgres_event_log.cpp), the
    // node that wrote each event, and snapshots of the folded state.
    "CREATE TABLE events("
    "  seq BIGINT PRIMARY KEY,"
    "  ts BIGINT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  account TEXT NOT NULL DEFAULT '',"
    "  version INTEGER NOT NULL,"
    "  data TEXT NOT NULL,"
    "  node TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE event_head("
    "  one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),"
    "  last_seq BIGINT NOT NULL);"
    "INSERT INTO event_head(last_seq) VALUES (0);"
    "CREATE TABLE snapshots("
    "  seq BIGINT PRIMARY KEY,"
    "  ts BIGINT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  data TEXT NOT NULL,"
    "  checksum TEXT NOT NULL);",
    // 1 -> 2: the nodes sharing the log (heartbeats, who holds the singleton duties:
    // persistence/pg_nodes.hpp) and the cluster-wide settings rows (the Telegram bot's token,
    // update offset and alert cursor: telegram/bot_settings.hpp), shared so that whichever
    // node holds the duties continues where the last one stopped.
    "CREATE TABLE nodes("
    "  node TEXT PRIMARY KEY,"
    "  address TEXT NOT NULL DEFAULT '',"
    "  started BIGINT NOT NULL,"
    "  last_seen BIGINT NOT NULL,"
    "  duties BOOLEAN NOT NULL DEFAULT FALSE);"
    "CREATE TABLE settings("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated BIGINT NOT NULL);",
};

}  // namespace

PgSchemaFound pg_inspect_schema(PgConnection& c) {
  PgSchemaFound f;
  auto r = c.exec("SELECT to_regclass('quotaguard_schema') IS NOT NULL, to_regclass('events') IS NOT NULL");
  f.schema_table = r.text(0, 0) == "t";
  f.events_table = r.text(0, 1) == "t";
  if (f.schema_table) {
    auto v = c.exec("SELECT max(version) FROM quotaguard_schema");
    f.version = v.rows() > 0 && !v.is_null(0, 0) ? static_cast<int>(v.int64(0, 0)) : 0;
  }
  return f;
}

std::string pg_schema_problem(const PgSchemaFound& f) {
  if (!f.schema_table && f.events_table)
    return "has an events table that QuotaGuard did not create (no quotaguard_schema table); "
           "use another database or schema";
  if (f.version > kPgSchemaVersion)
    return "has schema version " + std::to_string(f.version) + ", newer than this build supports (" +
           std::to_string(kPgSchemaVersion) + "); upgrade quotaguard";
  return "";
}

std::vector<std::string> pg_missing_tables(PgConnection& c, int version) {
  // The tables each migration creates (kMigrations[i] adds kTables[i]).
  static const std::vector<std::vector<const char*>> kTables = {{"events", "event_head", "snapshots"},
                                                                {"nodes", "settings"}};
  std::vector<std::string> missing;
  for (int v = 0; v < version && v < static_cast<int>(kTables.size()); ++v)
    for (const char* table : kTables[static_cast<std::size_t>(v)])
      if (c.exec("SELECT to_regclass($1) IS NULL", {table}).text(0, 0) == "t") missing.emplace_back(table);
  return missing;
}

namespace {
void refuse_unusable(PgConnection& c, const PgSchemaFound& f) {
  if (std::string problem = pg_schema_problem(f); !problem.empty()) throw StorageError(c.error_text(problem));
}
}  // namespace

int pg_open_schema(PgConnection& c) {
  if (c.read_only()) {
    const PgSchemaFound f = pg_inspect_schema(c);
    refuse_unusable(c, f);
    if (!f.schema_table || f.version == 0)
      throw StorageError(c.error_text("is empty (no QuotaGuard event log yet)"));
    return f.version;
  }
  PgTransaction tx(c);
  c.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPgSchemaLock) + ")");
  const PgSchemaFound f = pg_inspect_schema(c);  // after the lock: another node may just have migrated
  refuse_unusable(c, f);
  if (!f.schema_table) c.exec("CREATE TABLE quotaguard_schema(version INTEGER NOT NULL); "
                              "INSERT INTO quotaguard_schema VALUES (0)");
  for (int v = f.version; v < kPgSchemaVersion; ++v) {
    c.exec(kMigrations[static_cast<std::size_t>(v)]);
    c.exec("UPDATE quotaguard_schema SET version = " + std::to_string(v + 1));
  }
  tx.commit();
  return f.version;
}

}  // namespace qg
