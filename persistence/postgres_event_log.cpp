// persistence/postgres_event_log.cpp — SQL of the PostgreSQL event log (see the header).
#include "persistence/postgres_event_log.hpp"

#include "messages/event_codec.hpp"
#include "persistence/pg_schema.hpp"

#include <unistd.h>

#include <climits>

namespace qg {

namespace {

// One element of a PostgreSQL array literal: "text" with \ and " escaped.
void append_array_element(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// Rows per round trip when scanning: bounded memory on any log size.
constexpr int kScanPage = 2000;

// The batch's rows inserted at the seqs `head` freed (its `base` + 1 ...): $1 events, their
// columns $2..$6 as arrays, written by node $7. Nothing when `head` is empty.
#define QG_INSERT_AT_HEAD                                                                   \
  " ins AS ("                                                                               \
  "  INSERT INTO events(seq, ts, type, account, version, data, node)"                       \
  "  SELECT head.base + e.ord, e.ts, e.type, e.account, e.version, e.data, $7::text"        \
  "  FROM head, unnest($2::bigint[], $3::text[], $4::text[], $5::integer[], $6::text[])"    \
  "    WITH ORDINALITY AS e(ts, type, account, version, data, ord))"

// The batch as one statement: bump event_head, insert at the freed seqs, notify the followers
// (delivered at commit; the payload is the writer's node id, so a node's listener can tell
// its own appends from others'), return the last seq.
constexpr const char* kAppend =
    "WITH head AS (UPDATE event_head SET last_seq = last_seq + $1::bigint"
    "  RETURNING last_seq - $1::bigint AS base)," QG_INSERT_AT_HEAD
    " SELECT base + $1::bigint, pg_notify('quotaguard_events', $7::text) FROM head";

// The guarded append, which answers a moved head with what moved it. ONE autocommit
// statement: kAppend only when event_head still stands at $8 (the seq the writer's state is
// at: nobody appended since) and, only when that check failed (`head` empty: nothing
// written, nobody notified), the first $9 rows after $8. Rows: either one, the last seq
// appended and `t`, or others' events (seq, ts, type, account, version, data, node) and `f`.
// Under READ COMMITTED an UPDATE that waited for another append's row lock re-evaluates its
// WHERE on the row that append committed, so a head that moved while it waited fails the check
// too. The rows are the statement's snapshot, taken when it started: commits are in seq order,
// so they are a gapless run from $8 + 1, which may end before the append the UPDATE waited for
// (the next attempt reads that one).
constexpr const char* kAppendOrRead =
    "WITH head AS (UPDATE event_head SET last_seq = last_seq + $1::bigint WHERE last_seq = $8::bigint"
    "  RETURNING last_seq - $1::bigint AS base, pg_notify('quotaguard_events', $7::text))," QG_INSERT_AT_HEAD
    " SELECT base + $1::bigint, 0::bigint, ''::text, ''::text, 0, ''::text, ''::text, true FROM head"
    " UNION ALL"
    " (SELECT seq, ts, type, account, version, data, node, false FROM events"
    "  WHERE seq > $8::bigint AND NOT EXISTS (SELECT 1 FROM head) ORDER BY seq LIMIT $9::integer)";
#undef QG_INSERT_AT_HEAD

// The columns of a batch as PostgreSQL array literals, one row at a time.
struct ArrayParams {
  std::string ts = "{", types = "{", accounts = "{", versions = "{", data = "{";
  bool first = true;
  void add(TimeMs t, std::string_view type, std::string_view account, int version, std::string_view payload) {
    const char* sep = first ? "" : ",";
    first = false;
    ts += sep + std::to_string(t);
    versions += sep + std::to_string(version);
    types += sep;
    append_array_element(types, type);
    accounts += sep;
    append_array_element(accounts, account);
    data += sep;
    append_array_element(data, payload);
  }
  std::vector<std::string> params(std::size_t n, const std::string& node) const {
    return {std::to_string(n), ts + "}", types + "}", accounts + "}", versions + "}", data + "}", node};
  }
};

// kAppend's parameters for the events (their ts, type, account, payload; written by `node`).
std::vector<std::string> append_params(const std::vector<Event*>& events, const std::string& node) {
  ArrayParams a;
  for (const Event* e : events) a.add(e->ts, event_type(*e), e->account, kEventSchemaVersion, encode_payload(e->payload));
  return a.params(events.size(), node);
}

// The events got the seqs up to `last`, in order, and were written by `node`: as the rows
// have them, so state folded from these equals a replay's.
void assign_seqs(const std::vector<Event*>& events, std::uint64_t last, const std::string& node) {
  std::uint64_t seq = last - events.size();
  for (Event* e : events) {
    e->seq = ++seq;
    e->node = node;
  }
}

// Guarded attempts (kAppendOrRead, one statement each, no lock held between them) before a
// commit takes the head's lock: every failed one folded what moved the head, so only another
// node appending within a round trip of each attempt sends a commit to the lock. 8: with
// appends written past others' events (docs/EVENT_LOG.md §7.3) a commit that found the head
// moved appends again instead of ending in conflicts, and under the other node's steady
// appends 4 misses in a row were common; the locked path then held the head across 3 round
// trips and a WAL flush, stalling the other node (bench-cluster 2026-12-07 15:02: about 4 %
// of two nodes' commits; docs/PERFORMANCE.md).
constexpr int kGuardedAttempts = 8;

// The rows from a seq on, in seq order (the seq, then the rest of the query, follow).
constexpr const char* kRowsFrom = "SELECT seq, ts, type, account, version, data, node FROM events WHERE seq >= ";

// Row i of a result of kRowsFrom or scan's query.
EventRow row_at(const PgResult& page, int i) {
  return EventRow{static_cast<std::uint64_t>(page.int64(i, 0)), page.int64(i, 1), page.text(i, 2),
                  page.text(i, 3), static_cast<int>(page.int64(i, 4)), page.text(i, 5), page.text(i, 6)};
}

// Folds every row of `page`, `from` then the seq after its last; true when the page was full
// (more may follow).
bool fold_page(const PgResult& page, const std::function<void(const EventRow&)>& fold, std::uint64_t& from) {
  for (int i = 0; i < page.rows(); ++i) {
    const EventRow row = row_at(page, i);
    fold(row);
    from = row.seq + 1;
  }
  return page.rows() == kScanPage;
}

}  // namespace

std::string effective_node_id(const std::string& configured) {
  if (!configured.empty()) return configured;
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "node";
  return host;
}

PostgresEventLog::PostgresEventLog(PgOptions options, std::size_t connections, std::string node_id)
    : pool_(std::move(options), connections), node_id_(std::move(node_id)) {}

std::unique_ptr<PostgresEventLog> PostgresEventLog::open(const PostgresConfig& config, OpenMode mode,
                                                         std::size_t connections) {
  if (config.dsn.empty()) throw StorageError("storage.postgres.dsn: empty");
  PgOptions options{config.dsn, mode == OpenMode::read_only, config.statement_timeout};
  std::unique_ptr<PostgresEventLog> log(
      new PostgresEventLog(std::move(options), connections, effective_node_id(config.node_id)));
  auto c = log->pool_.acquire();
  log->schema_found_ = pg_open_schema(*c);
  return log;
}

std::uint64_t PostgresEventLog::last_seq() {
  auto c = pool_.acquire();
  auto r = c->exec("SELECT last_seq FROM event_head");
  return r.rows() > 0 ? static_cast<std::uint64_t>(r.int64(0, 0)) : 0;
}

std::uint64_t PostgresEventLog::append(const std::vector<Event*>& events) {
  if (events.empty()) return last_seq();
  const std::uint64_t last = run_append(append_params(events, node_id_));
  assign_seqs(events, last, node_id_);
  return last;
}

std::uint64_t PostgresEventLog::append_rows(const std::vector<StoredRow>& rows) {
  if (rows.empty()) return last_seq();
  ArrayParams a;
  for (const auto& r : rows) a.add(r.ts, r.type, r.account, r.version, r.data);
  return run_append(a.params(rows.size(), node_id_));
}

std::uint64_t PostgresEventLog::run_append(const std::vector<std::string>& params) {
  auto c = pool_.acquire();
  return run_append_on(*c, params);
}

std::uint64_t PostgresEventLog::run_append_on(PgConnection& c, const std::vector<std::string>& params) {
  auto r = c.exec(kAppend, params);
  if (r.rows() != 1 || r.is_null(0, 0))
    throw StorageError(c.error_text("event_head has no row; the schema is damaged"));
  return static_cast<std::uint64_t>(r.int64(0, 0));
}

AppendAfterResult PostgresEventLog::append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                                 const std::function<std::vector<Event*>()>& choose) {
  auto c = pool_.acquire();
  std::uint64_t from = known + 1;  // every row before it is folded
  for (int attempt = 0; attempt < kGuardedAttempts; ++attempt) {
    const std::vector<Event*> events = choose();
    // Every append of the batch conflicted (with what was folded, or already before: their
    // epoch is over): nothing to write, so nothing to check and no lock.
    if (events.empty()) return {from - 1, AppendPath::conflicts};
    // The append if nobody appended after `from - 1` (every row up to it is folded, so what
    // `choose` decided holds); else, in the same round trip, the rows that moved the head.
    std::vector<std::string> params = append_params(events, node_id_);
    params.push_back(std::to_string(from - 1));
    params.push_back(std::to_string(kScanPage));
    const PgResult r = c->exec_prepared("qg_append_or_read", kAppendOrRead, params);
    if (r.rows() == 1 && r.text(0, 7) == "t") {
      const auto last = static_cast<std::uint64_t>(r.int64(0, 0));
      assign_seqs(events, last, node_id_);
      return {last, attempt == 0 ? AppendPath::fast : AppendPath::reread};
    }
    if (fold_page(r, fold, from)) fold_rest(*c, from, fold);
  }
  return append_locked(*c, from - 1, fold, choose);
}

void PostgresEventLog::fold_rest(PgConnection& c, std::uint64_t& from, const std::function<void(const EventRow&)>& fold) {
  const std::string sql = std::string(kRowsFrom) + "$1 ORDER BY seq LIMIT $2";
  while (fold_page(c.exec(sql.c_str(), {std::to_string(from), std::to_string(kScanPage)}), fold, from)) {
  }
}

AppendAfterResult PostgresEventLog::append_locked(PgConnection& c, std::uint64_t known,
                                                  const std::function<void(const EventRow&)>& fold,
                                                  const std::function<std::vector<Event*>()>& choose) {
  // Lock the head and read the first page of what others wrote since `known` (one round trip:
  // the read's snapshot is taken under the lock, so it ends at the head), fold it and any
  // further pages, choose again: nobody can append until COMMIT.
  PgTransaction tx(c, "SELECT last_seq FROM event_head FOR UPDATE; " + std::string(kRowsFrom) +
                          std::to_string(known + 1) + " ORDER BY seq LIMIT " + std::to_string(kScanPage));
  const PgResult& head = tx.first_result(0);
  if (head.rows() != 1) throw StorageError(c.error_text("event_head has no row; the schema is damaged"));
  std::uint64_t last = static_cast<std::uint64_t>(head.int64(0, 0));
  std::uint64_t from = known + 1;
  for (bool full = fold_page(tx.first_result(1), fold, from); full && from <= last;) {
    full = fold_page(c.exec((std::string(kRowsFrom) + "$1 AND seq <= $2 ORDER BY seq LIMIT $3").c_str(),
                            {std::to_string(from), std::to_string(last), std::to_string(kScanPage)}),
                     fold, from);
  }
  const std::vector<Event*> events = choose();
  if (!events.empty()) {
    last = run_append_on(c, append_params(events, node_id_));
    assign_seqs(events, last, node_id_);
  }
  tx.commit();
  return {last, AppendPath::locked};
}

void PostgresEventLog::scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) {
  // Prepared (the follower's read runs at every notification of another node's append).
  const char* name = range.account ? "qg_scan_account" : "qg_scan";
  const char* sql = range.account
      ? "SELECT seq, ts, type, account, version, data, node FROM events"
        " WHERE seq >= $1 AND seq <= $2 AND account = $4 ORDER BY seq LIMIT $3"
      : "SELECT seq, ts, type, account, version, data, node FROM events"
        " WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3";
  std::uint64_t from = range.from_seq;
  while (from <= range.to_seq) {
    std::vector<std::string> params{std::to_string(from), std::to_string(range.to_seq),
                                    std::to_string(kScanPage)};
    if (range.account) params.push_back(*range.account);
    // The connection goes back before the callbacks run: they may use this log too.
    PgResult page = pool_.acquire()->exec_prepared(name, sql, params);
    for (int i = 0; i < page.rows(); ++i) {
      const EventRow row = row_at(page, i);
      if (!fn(row)) return;
      from = row.seq + 1;
    }
    if (page.rows() < kScanPage) return;
  }
}

std::optional<std::pair<std::uint64_t, TimeMs>> PostgresEventLog::first_at_or_after_seq(std::uint64_t seq) {
  auto c = pool_.acquire();
  auto r = c->exec("SELECT seq, ts FROM events WHERE seq >= $1 ORDER BY seq LIMIT 1", {std::to_string(seq)});
  if (r.rows() == 0) return std::nullopt;
  return std::make_pair(static_cast<std::uint64_t>(r.int64(0, 0)), r.int64(0, 1));
}

void PostgresEventLog::write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data,
                                      int keep) {
  auto c = pool_.acquire();
  PgTransaction tx(*c);
  c->exec("INSERT INTO snapshots(seq, ts, version, data, checksum) VALUES($1, $2, $3, $4, $5)"
          " ON CONFLICT (seq) DO UPDATE SET ts = excluded.ts, version = excluded.version,"
          " data = excluded.data, checksum = excluded.checksum",
          {std::to_string(seq), std::to_string(ts), std::to_string(version), std::string(data),
           snapshot_checksum(data)});
  c->exec("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $1)",
          {std::to_string(keep)});
  tx.commit();
}

std::vector<SnapshotRow> PostgresEventLog::snapshots() {
  auto c = pool_.acquire();
  auto r = c->exec("SELECT seq, ts, version, data, checksum FROM snapshots ORDER BY seq DESC");
  std::vector<SnapshotRow> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(SnapshotRow{static_cast<std::uint64_t>(r.int64(i, 0)), r.int64(i, 1),
                              static_cast<int>(r.int64(i, 2)), std::string(r.text(i, 3)),
                              std::string(r.text(i, 4))});
  return out;
}

}  // namespace qg
