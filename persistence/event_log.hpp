// persistence/event_log.hpp — the storage seam: the event log whichever database holds it.
//
// The journal (the single writer of a node), recovery, replay/verify and the read side of the
// core see the log only through EventLog. Two implementations, same rows and payloads
// (docs/EVENT_LOG.md): SqliteEventLog (persistence/sqlite_event_log.hpp, one node, the
// default) and PostgresEventLog (persistence/postgres_event_log.hpp, several nodes on one
// database, each event tagged with the node that wrote it). open_event_log() picks one from
// `storage.backend`.
//
// Order: seq is global, gapless and strictly increasing in commit order: an append that
// commits seq N commits after every append holding a lower seq, so a reader that sees N sees
// everything below it. Methods throw StorageError with a one-line, password-free message.
#pragma once

#include "config/config.hpp"
#include "messages/event.hpp"
#include "persistence/database.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  std::string_view node;  // the node that wrote it (PostgreSQL); "" in SQLite
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

struct SnapshotRow {
  std::uint64_t seq = 0;
  TimeMs ts = 0;
  int version = 0;
  std::string data;
  std::string checksum;
  bool checksum_ok() const;
};

// FNV-1a 64 of `data` as 16 hex digits.
std::string snapshot_checksum(std::string_view data);

// How EventLog::append_after committed (the journal counts the paths:
// quotaguard_journal_shared_commits_total{path}).
enum class AppendPath {
  fast,    // one statement: the log's head was at `known`, nothing to fold
  reread,  // the head had moved: the rows after `known` folded without a lock, `choose` again,
           // appended by the same check from the last folded seq
  conflicts,  // nothing left to append, with what was folded or before any statement (every
              // append of the batch conflicted): nothing written, nothing checked
  locked,  // under the log's append lock (the checked appends kept finding the head moved;
           // the default implementation: one writer)
};
const char* path_name(AppendPath path);  // "fast", "reread", "conflicts", "locked"

struct AppendAfterResult {
  std::uint64_t last_seq = 0;
  AppendPath path = AppendPath::locked;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Where the log lives, for messages: "storage.db_path: /x.db" or
  // "storage.postgres: postgresql://user@host:port/db" (never a password).
  virtual std::string describe() const = 0;
  virtual bool read_only() const = 0;

  // The highest committed seq (0 for an empty log).
  virtual std::uint64_t last_seq() = 0;

  // Appends the events, in order, in one transaction: each gets the next seq (set in the
  // Event) and keeps its ts. Returns the last seq. On a throw nothing is written and the
  // events' seqs mean nothing.
  virtual std::uint64_t append(const std::vector<Event*>& events) = 0;
  std::uint64_t append(std::vector<Event>& events);

  // Whether other nodes write this log as a matter of course (PostgreSQL): the journal then
  // follows their events and checks account versions (docs/EVENT_LOG.md §7.3, §7.4).
  virtual bool shared() const { return false; }

  // The journal's commit on a shared log: appends what `choose` returns (nothing when empty)
  // such that what `choose` decided from the rows folded so far is still true when its events
  // commit: the version check of optimistic concurrency. `fold` is called for rows after
  // `known` (others' events, in seq order, each once, a gapless run), and `choose` after each
  // run of them; the events of its last call are appended in one atomic step that holds only
  // if every row before them has been folded:
  //  - checked (AppendPath fast, reread): appended only if the log's head is still at the last
  //    folded seq (`known` when nothing was folded), checked in the append's own statement;
  //    when it has moved, the rows that moved it are folded and `choose` runs again;
  //  - locked: in ONE transaction that holds the log's append lock (nobody else can append
  //    meanwhile), every row up to the head folded, then the append.
  // Nothing to append (AppendPath conflicts) needs neither. `choose` may
  // therefore be called several times: it must be re-runnable. Returns the last seq (>= the
  // last folded row) and the path. On a throw nothing of `choose`'s events is written (rows
  // already folded stay folded: they were committed by others). Default: the locked path
  // without the lock (one writer: SQLite).
  virtual AppendAfterResult append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                         const std::function<std::vector<Event*>()>& choose);

  // Calls `fn` for each row in range, in seq order, until it returns false.
  virtual void scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) = 0;

  // Up to `limit` events with seq > after, decoded (GET /api/v1/events).
  std::vector<Event> read_after(std::uint64_t after, std::size_t limit);

  // The first seq whose ts >= `ts`, or last_seq() + 1 when there is none. A binary search
  // over seq (O(log n) point reads): events are appended in time order, so ts grows with seq;
  // a wall-clock step back only moves the boundary by that step.
  std::uint64_t first_seq_at_or_after(TimeMs ts);

  // Writes (or replaces) the snapshot at `seq` in its own transaction and deletes all but the
  // newest `keep` snapshots.
  virtual void write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data,
                              int keep = 3) = 0;
  // All snapshots, newest first.
  virtual std::vector<SnapshotRow> snapshots() = 0;

 protected:
  // (seq, ts) of the first event with seq >= `seq`, if any.
  virtual std::optional<std::pair<std::uint64_t, TimeMs>> first_at_or_after_seq(std::uint64_t seq) = 0;
};

// Opens the log `storage` names (backend, path or DSN, timeouts). Read-write opens create and
// migrate the schema; read-only opens never write (and refuse a log that does not exist).
// `connections` bounds the PostgreSQL connections this log holds at once (threads that use
// it concurrently wait for one); SQLite uses one connection whatever it says.
// Throws StorageError.
std::unique_ptr<EventLog> open_event_log(const StorageConfig& storage, OpenMode mode,
                                         std::size_t connections = 1);

// Whether `storage` names a log that exists already (the SQLite file; a PostgreSQL database
// with QuotaGuard's schema). Offline commands read nothing when it does not. Throws
// StorageError when PostgreSQL cannot be reached.
bool event_log_exists(const StorageConfig& storage);

}  // namespace qg
