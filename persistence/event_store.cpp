// persistence/event_store.cpp — SQL of the events table.
#include "persistence/event_store.hpp"

#include "messages/event_codec.hpp"

namespace qg {

Event decode_row(const EventRow& row, std::string* warning) {
  Event e;
  e.seq = row.seq;
  e.ts = row.ts;
  e.account = std::string(row.account);
  e.payload = decode_payload(row.type, row.data, row.version, warning);
  return e;
}

EventStore::EventStore(Database& db)
    : db_(db),
      insert_(db.read_only() ? Statement()
                             : db.prepare("INSERT INTO events(seq, ts, type, account, version, data)"
                                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6)")),
      last_(db.prepare("SELECT COALESCE(MAX(seq), 0) FROM events")) {}

std::uint64_t EventStore::last_seq() {
  last_.reset();
  const std::uint64_t seq = last_.step() ? static_cast<std::uint64_t>(last_.column_int(0)) : 0;
  last_.reset();
  return seq;
}

void EventStore::insert(std::uint64_t seq, TimeMs ts, std::string_view type,
                        std::string_view account, int version, std::string_view data) {
  if (db_.read_only()) throw StorageError(db_.error_text("opened read-only"));
  insert_.reset();
  insert_.bind(1, static_cast<std::int64_t>(seq)).bind(2, ts).bind(3, type).bind(4, account);
  insert_.bind(5, static_cast<std::int64_t>(version)).bind(6, data);
  insert_.step();
}

std::uint64_t EventStore::append(std::vector<Event>& events) {
  Transaction tx(db_);
  std::uint64_t seq = last_seq();
  for (auto& e : events) {
    e.seq = ++seq;
    insert(e.seq, e.ts, event_type(e), e.account, kEventSchemaVersion, encode_payload(e.payload));
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
                       static_cast<int>(st.column_int(4)), st.column_text(5)};
    if (!fn(row)) break;
  }
}

std::vector<Event> EventStore::read_after(std::uint64_t after, std::size_t limit) {
  std::vector<Event> out;
  if (limit == 0) return out;
  scan(ScanRange::starting_at(after + 1), [&](const EventRow& row) {
    out.push_back(decode_row(row, nullptr));
    return out.size() < limit;
  });
  return out;
}

std::uint64_t EventStore::first_seq_at_or_after(TimeMs ts) {
  Statement at = db_.prepare("SELECT seq, ts FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1");
  std::uint64_t lo = 1, hi = last_seq() + 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    at.reset();
    at.bind(1, static_cast<std::int64_t>(mid));
    if (!at.step() || at.column_int(1) >= ts) {
      hi = mid;
    } else {
      lo = static_cast<std::uint64_t>(at.column_int(0)) + 1;
    }
  }
  return lo;
}

}  // namespace qg
