// persistence/event_store.hpp — the `events` table: append in seq order, scan by range.
//
// Rows are (seq, ts, type, account, version, data); seq is the table's integer primary key,
// assigned gaplessly by the writer as last_seq + 1, + 2, ... inside one transaction per batch.
// There is one writer (the journal actor); readers may run on other connections (WAL).
#pragma once

#include "messages/event.hpp"
#include "persistence/database.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// One stored row; the views are valid only inside the scan callback.
struct EventRow {
  std::uint64_t seq = 0;
  TimeMs ts = 0;
  std::string_view type;
  std::string_view account;
  int version = 0;
  std::string_view data;
};

// The row as an Event (payload decoded; `warning` set as decode_payload sets it).
Event decode_row(const EventRow& row, std::string* warning);

struct ScanRange {
  std::uint64_t from_seq = 1;
  std::uint64_t to_seq = std::numeric_limits<std::int64_t>::max();
  std::optional<std::string> account;  // only this account's events

  static ScanRange starting_at(std::uint64_t seq) {
    ScanRange r;
    r.from_seq = seq;
    return r;
  }
};

class EventStore {
 public:
  explicit EventStore(Database& db);

  std::uint64_t last_seq();

  // Inserts one row; the caller holds the transaction (see Transaction).
  void insert(std::uint64_t seq, TimeMs ts, std::string_view type, std::string_view account,
              int version, std::string_view data);

  // Appends the events in one transaction, setting each one's seq; returns the last seq.
  std::uint64_t append(std::vector<Event>& events);

  // Calls `fn` for each row in range, in seq order, until it returns false.
  void scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn);

  // Up to `limit` events with seq > after, decoded (GET /api/v1/events).
  std::vector<Event> read_after(std::uint64_t after, std::size_t limit);

  // The first seq whose ts >= `ts`, or last_seq() + 1 when there is none. A binary search
  // over seq (O(log n) point reads): events are appended in time order, so ts grows with seq;
  // a wall-clock step back only moves the boundary by that step.
  std::uint64_t first_seq_at_or_after(TimeMs ts);

 private:
  Database& db_;
  Statement insert_;
  Statement last_;
};

}  // namespace qg
