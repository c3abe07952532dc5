// persistence/event_store.hpp — the SQLite event log: the `events` and `snapshots` tables of
// one SQLite file, behind the EventLog seam (persistence/event_log.hpp).
//
// Rows are (seq, ts, type, account, version, data); seq is the table's integer primary key,
// assigned gaplessly as MAX(seq) + 1, + 2, ... inside the append's transaction
// (BEGIN IMMEDIATE: one writer at a time, so concurrent appends of other processes wait).
// There is one writer (the journal actor); readers may run on other connections (WAL).
#pragma once

#include "persistence/database.hpp"
#include "persistence/event_log.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/wal_checkpointer.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

class EventStore : public EventLog {
 public:
  explicit EventStore(Database& db);
  // Owns the connection (open_event_log).
  explicit EventStore(std::shared_ptr<Database> db);

  // WAL checkpoints from now on on a thread of their own, not inside this connection's commits
  // (persistence/wal_checkpointer.hpp); open_event_log does this for read-write opens. Throws
  // StorageError.
  void checkpoint_in_background(WalCheckpointOptions options = {});

  std::string describe() const override;
  bool read_only() const override { return db_.read_only(); }
  std::uint64_t last_seq() override;

  // Inserts one row; the caller holds the transaction (see Transaction).
  void insert(std::uint64_t seq, TimeMs ts, std::string_view type, std::string_view account,
              int version, std::string_view data);

  using EventLog::append;
  std::uint64_t append(const std::vector<Event*>& events) override;
  void scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) override;
  void write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data,
                      int keep = 3) override;
  std::vector<SnapshotRow> snapshots() override;

 protected:
  std::optional<std::pair<std::uint64_t, TimeMs>> first_at_or_after_seq(std::uint64_t seq) override;

 private:
  std::shared_ptr<Database> owned_;
  Database& db_;
  Statement insert_;
  Statement last_;
  Statement first_at_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // stopped first: declared last
};

}  // namespace qg
