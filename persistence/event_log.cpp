// persistence/event_log.cpp — what every backend shares: row decoding, paging, the time
// search, snapshot checksums, and choosing the backend.
#include "persistence/event_log.hpp"

#include "messages/digest.hpp"
#include "messages/event_codec.hpp"
#include "persistence/event_store.hpp"
#include "persistence/pg_schema.hpp"
#include "persistence/postgres_event_log.hpp"

#include <filesystem>

namespace qg {

Event decode_row(const EventRow& row, std::string* warning) {
  Event e;
  e.seq = row.seq;
  e.ts = row.ts;
  e.account = std::string(row.account);
  e.node = std::string(row.node);
  e.payload = decode_payload(row.type, row.data, row.version, warning);
  return e;
}

std::string snapshot_checksum(std::string_view data) { return fnv1a64_hex(data); }

bool SnapshotRow::checksum_ok() const { return snapshot_checksum(data) == checksum; }

std::uint64_t EventLog::append(std::vector<Event>& events) {
  std::vector<Event*> refs;
  refs.reserve(events.size());
  for (auto& e : events) refs.push_back(&e);
  return append(refs);
}

AppendAfterResult EventLog::append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                         const std::function<std::vector<Event*>()>& choose) {
  const std::uint64_t last = last_seq();
  if (last > known) {
    ScanRange range = ScanRange::starting_at(known + 1);
    range.to_seq = last;
    scan(range, [&](const EventRow& row) {
      fold(row);
      return true;
    });
  }
  const std::vector<Event*> events = choose();
  return {events.empty() ? last : append(events), AppendPath::locked};
}

const char* path_name(AppendPath path) {
  switch (path) {
    case AppendPath::fast: return "fast";
    case AppendPath::reread: return "reread";
    case AppendPath::conflicts: return "conflicts";
    case AppendPath::locked: return "locked";
  }
  return "locked";
}

std::vector<Event> EventLog::read_after(std::uint64_t after, std::size_t limit) {
  std::vector<Event> out;
  if (limit == 0) return out;
  scan(ScanRange::starting_at(after + 1), [&](const EventRow& row) {
    out.push_back(decode_row(row, nullptr));
    return out.size() < limit;
  });
  return out;
}

std::uint64_t EventLog::first_seq_at_or_after(TimeMs ts) {
  std::uint64_t lo = 1, hi = last_seq() + 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const auto row = first_at_or_after_seq(mid);
    if (!row || row->second >= ts) hi = mid;
    else lo = row->first + 1;
  }
  return lo;
}

std::unique_ptr<EventLog> open_event_log(const StorageConfig& storage, OpenMode mode,
                                         std::size_t connections) {
  if (storage.backend == StorageBackend::postgres)
    return PostgresEventLog::open(storage.postgres, mode, connections);
  DatabaseOptions options;
  options.path = storage.db_path;
  options.mode = mode;
  options.synchronous = storage.synchronous;
  options.busy_timeout_ms = static_cast<int>(storage.busy_timeout.count());
  auto store = std::make_unique<EventStore>(std::shared_ptr<Database>(Database::open(options)));
  if (mode == OpenMode::read_write) store->checkpoint_in_background();  // not inside the journal's commits
  return store;
}

bool event_log_exists(const StorageConfig& storage) {
  if (storage.backend == StorageBackend::sqlite) {
    std::error_code ec;
    return std::filesystem::exists(storage.db_path, ec);
  }
  auto c = PgConnection::connect({storage.postgres.dsn, /*read_only=*/true, storage.postgres.statement_timeout});
  return pg_inspect_schema(*c).version > 0;
}

}  // namespace qg
