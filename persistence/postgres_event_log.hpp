// persistence/postgres_event_log.hpp — the event log in PostgreSQL, shared by several nodes.
//
// Same rows and payloads as the SQLite log (docs/EVENT_LOG.md §7), plus `node`: the
// `storage.postgres.node_id` of the node that wrote the event. One global order: an append is
// ONE statement (atomic on its own) that bumps the single row of `event_head` by the batch's
// size and inserts the events at the seqs it freed. The row lock it takes is held until commit,
// so appends of all nodes are serialised there: seq is gapless (a failed append rolls its bump
// back), strictly increasing, and commits in seq order — a reader that sees seq N sees every
// seq below it, so following the log by seq never misses an event. (An identity column would
// leave gaps on rollback and commit out of order.)
//
// Connections come from a PgPool of `connections` (the journal's log: 1; the read side: the
// rest of `storage.postgres.pool_size`). Thread-safe.
#pragma once

#include "config/config.hpp"
#include "persistence/event_log.hpp"
#include "persistence/pg_pool.hpp"

#include <memory>
#include <string>

namespace qg {

// The channel every append notifies at commit (payload: the writing node's id); followers LISTEN
// on it.
inline constexpr const char* kEventsChannel = "quotaguard_events";

class PostgresEventLog : public EventLog {
 public:
  // Connects, validates and (read-write) migrates. Throws StorageError.
  static std::unique_ptr<PostgresEventLog> open(const PostgresConfig& config, OpenMode mode,
                                                std::size_t connections = 1);

  std::string describe() const override { return "storage.postgres: " + pool_.where(); }
  bool read_only() const override { return pool_.read_only(); }
  std::uint64_t last_seq() override;
  using EventLog::append;
  std::uint64_t append(const std::vector<Event*>& events) override;

  // A row as stored, payload text and version kept verbatim (quotaguard migrate).
  struct StoredRow {
    TimeMs ts = 0;
    std::string type, account;
    int version = 0;
    std::string data;
  };
  // Appends the rows in one statement at the next seqs; returns the last seq.
  std::uint64_t append_rows(const std::vector<StoredRow>& rows);
  bool shared() const override { return true; }
  // One autocommit statement (kAppendOrRead): the append only if event_head still stands at
  // `known` (nobody appended since; `choose` was called with nothing folded: path fast), else
  // the rows after `known`, folded (any further pages read the same way, without a lock),
  // then `choose` again and the same statement from the last folded seq (path reread); when
  // `choose` has nothing to append (every append conflicted), no statement more (path
  // conflicts). After kGuardedAttempts such statements found the head moved, the locked path:
  // BEGIN, SELECT ... FOR UPDATE of event_head (the lock every append takes) and the first
  // page of rows in one round trip, fold, `choose` again, the append, COMMIT.
  // Every append notifies quotaguard_events (payload: this node's id) at commit.
  AppendAfterResult append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                 const std::function<std::vector<Event*>()>& choose) override;
  void scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) override;
  void write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data,
                      int keep = 3) override;
  std::vector<SnapshotRow> snapshots() override;

  const std::string& node_id() const { return node_id_; }
  int schema_version_found() const { return schema_found_; }  // before this open migrated

 protected:
  std::optional<std::pair<std::uint64_t, TimeMs>> first_at_or_after_seq(std::uint64_t seq) override;

 private:
  PostgresEventLog(PgOptions options, std::size_t connections, std::string node_id);
  std::uint64_t run_append(const std::vector<std::string>& params);  // kAppend; the last seq
  static std::uint64_t run_append_on(PgConnection& c, const std::vector<std::string>& params);
  // Folds the rows from `from` on, page by page (no lock), advancing `from` past each.
  static void fold_rest(PgConnection& c, std::uint64_t& from, const std::function<void(const EventRow&)>& fold);
  AppendAfterResult append_locked(PgConnection& c, std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                  const std::function<std::vector<Event*>()>& choose);
  PgPool pool_;
  std::string node_id_;
  int schema_found_ = 0;
};

// The node id events are tagged with: `configured`, or the host name when empty.
std::string effective_node_id(const std::string& configured);

}  // namespace qg
