// persistence/event_store.cpp — SQL of the events table (snapshots: snapshot_store.cpp).
#include "persistence/event_store.hpp"

#include "messages/event_codec.hpp"

namespace qg {

EventStore::EventStore(std::shared_ptr<Database> db) : EventStore(*db) { owned_ = std::move(db); }

EventStore::EventStore(Database& db)
    : db_(db),
      insert_(db.read_only() ? Statement()
                             : db.prepare("INSERT INTO events(seq, ts, type, account, version, data)"
                                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6)")),
      last_(db.prepare("SELECT COALESCE(MAX(seq), 0) FROM events")),
      first_at_(db.prepare("SELECT seq, ts FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1")) {}

void EventStore::checkpoint_in_background(WalCheckpointOptions options) {
  if (!db_.read_only() && !checkpointer_) checkpointer_ = std::make_unique<WalCheckpointer>(db_, options);
}

std::string EventStore::describe() const { return "storage.db_path: " + db_.path(); }

std::uint64_t EventStore::last_seq() {
  last_.reset();
  const std::uint64_t seq = last_.step() ? static_cast<std::uint64_t>(last_.column_int(0)) : 0;
  last_.reset();
  return seq;
}

void EventStore::insert(std::uint64_t seq, TimeMs ts, std::string_view type,
                        std::string_view account, int version, std::string_view data) {
  if (db_.read_only()) throw StorageError(db_.error_text("opened read-only"));
  // The texts are bound without SQLite's copies: unbound (reset) before this returns or throws.
  struct Unbind {
    Statement& st;
    ~Unbind() { st.reset(); }
  } unbind{insert_};
  insert_.bind(1, static_cast<std::int64_t>(seq)).bind(2, ts).bind_static(3, type).bind_static(4, account);
  insert_.bind(5, static_cast<std::int64_t>(version)).bind_static(6, data);
  insert_.step();
}

std::uint64_t EventStore::append(const std::vector<Event*>& events) {
  Transaction tx(db_);
  std::uint64_t seq = last_seq();
  for (Event* e : events) {
    e->seq = ++seq;
    insert(e->seq, e->ts, event_type(*e), e->account, kEventSchemaVersion, encode_payload(e->payload));
  }
  tx.commit();
  return seq;
}

void EventStore::scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) {
  Statement st = db_.prepare(range.account
      ? "SELECT seq, ts, type, account, version, data FROM events"
        " WHERE seq >= ?1 AND seq <= ?2 AND account = ?3 ORDER BY seq"
      : "SELECT seq, ts, type, account, version, data FROM events"
        " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq");
  st.bind(1, static_cast<std::int64_t>(range.from_seq));
  st.bind(2, static_cast<std::int64_t>(range.to_seq));
  if (range.account) st.bind(3, *range.account);
  while (st.step()) {
    const EventRow row{static_cast<std::uint64_t>(st.column_int(0)), st.column_int(1),
                       st.column_text(2), st.column_text(3),
                       static_cast<int>(st.column_int(4)), st.column_text(5), {}};
    if (!fn(row)) break;
  }
}

std::optional<std::pair<std::uint64_t, TimeMs>> EventStore::first_at_or_after_seq(std::uint64_t seq) {
  first_at_.reset();
  first_at_.bind(1, static_cast<std::int64_t>(seq));
  std::optional<std::pair<std::uint64_t, TimeMs>> out;
  if (first_at_.step()) out.emplace(static_cast<std::uint64_t>(first_at_.column_int(0)), first_at_.column_int(1));
  first_at_.reset();
  return out;
}

void EventStore::write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data, int keep) {
  SnapshotStore(db_).write(seq, ts, version, data, keep);
}

std::vector<SnapshotRow> EventStore::snapshots() { return SnapshotStore(db_).list(); }

}  // namespace qg
