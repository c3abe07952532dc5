// persistence/migrate.cpp — SQLite log -> empty PostgreSQL log (see migrate.hpp).
#include "persistence/migrate.hpp"

#include "persistence/event_store.hpp"
#include "persistence/pg_settings.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/settings_store.hpp"
#include "persistence/state_codec.hpp"

#include <algorithm>
#include <ostream>

namespace qg {

namespace {

// The first seq that breaks 1, 2, 3, ... (0 when none does).
std::uint64_t first_gap(EventLog& log) {
  std::uint64_t expected = 1, gap = 0;
  log.scan({}, [&](const EventRow& row) {
    if (row.seq != expected) {
      gap = expected;
      return false;
    }
    ++expected;
    return true;
  });
  return gap;
}

// The source's `settings` rows (the Telegram bot's token, its fingerprint and cursors; seqs are
// the same on both sides) into the target's shared table; a key the target has already (a
// `settoken` run against it) is kept. Returns how many rows were copied. Values are secret:
// only the count is ever printed.
std::size_t copy_settings(Database& source, const PostgresConfig& to) {
  auto rows = SettingsStore(source).rows();
  if (rows.empty()) return 0;
  auto conn = PgConnection::connect({to.dsn, false, to.statement_timeout});
  std::size_t copied = 0;
  for (const auto& row : rows) {
    if (pg_get_setting(*conn, row.key)) continue;
    pg_put_setting(*conn, row.key, row.value, row.updated_at);
    ++copied;
  }
  return copied;
}

// A snapshot's text with its open reservations and its registered accounts tagged with `node`,
// as the rows are tagged: the snapshot stays the fold of the rows (replay --verify), the
// expiry sweep sees whose the reservations are (quota/expiry_sweep.hpp) and config sync whose
// the accounts and the router settings' file values are (quota/config_sync.hpp). Snapshots of another format are copied as they are.
std::string tagged(const SnapshotRow& snapshot, const std::string& node) {
  if (snapshot.version != kStateSchemaVersion) return snapshot.data;
  auto state = decode_state(snapshot.data, nullptr);
  if (!state) return snapshot.data;
  for (auto& [id, account] : state->accounts) {
    if (!account.spec.provider.empty()) account.registered_by = node;  // every AccountRegistered row is node's
    for (auto& [rid, r] : account.reservations) r.node = node;
  }
  if (!state->router.file_values.empty()) state->router.node_file_values[node] = state->router.file_values;  // every config SettingChanged row is node's
  return encode_state(*state);
}

}  // namespace

int run_migrate(const MigrateOptions& o, std::ostream& out, std::ostream& err) {
  try {
    auto source_db = std::shared_ptr<Database>(Database::open({o.from, OpenMode::read_only}));
    EventStore source(source_db);
    if (const std::uint64_t gap = first_gap(source))
      throw StorageError(source.describe() + ": seq " + std::to_string(gap) +
                         " is missing; run quotaguard replay --verify on it first");
    const std::uint64_t last = source.last_seq();
    auto target = PostgresEventLog::open(o.to, OpenMode::read_write);
    if (const std::uint64_t there = target->last_seq(); there != 0)
      throw StorageError(target->describe() + ": already holds " + std::to_string(there) +
                         " events; migrate writes only into an empty log");

    std::vector<PostgresEventLog::StoredRow> batch;
    auto flush = [&] {
      target->append_rows(batch);
      batch.clear();
    };
    source.scan({}, [&](const EventRow& row) {
      batch.push_back({row.ts, std::string(row.type), std::string(row.account), row.version, std::string(row.data)});
      if (batch.size() >= std::max<std::size_t>(1, o.batch)) flush();
      return true;
    });
    if (!batch.empty()) flush();
    if (const std::uint64_t copied = target->last_seq(); copied != last)
      throw StorageError(target->describe() + ": holds " + std::to_string(copied) + " events after the copy, " +
                         "the source " + std::to_string(last) + "; drop its tables and run migrate again");

    auto snapshots = source.snapshots();  // newest first
    std::size_t copied_snapshots = 0;
    for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
      if (!it->checksum_ok() || it->seq > last) continue;
      target->write_snapshot(it->seq, it->ts, it->version, tagged(*it, target->node_id()),
                             static_cast<int>(snapshots.size()));
      ++copied_snapshots;
    }
    out << "migrate: " << last << " events (seq 1.." << last << ") and " << copied_snapshots
        << " snapshot(s) from " << o.from << " to " << target->describe() << '\n';
    if (const std::size_t settings = copy_settings(*source_db, o.to))
      out << "migrate: " << settings << " setting(s) (the Telegram bot's token and cursors) copied\n";
    return 0;
  } catch (const StorageError& e) {
    err << e.what() << '\n';
    return 2;
  }
}

}  // namespace qg
