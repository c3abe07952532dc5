// persistence/postgres_event_log.cpp — SQL of the PostgreSQL event log (see the header).
#include "persistence/postgres_event_log.hpp"

#include "messages/event_codec.hpp"
#include "persistence/pg_schema.hpp"

#include <unistd.h>

#include <climits>

namespace qg {

namespace {

// Rows per round trip when scanning: bounded memory on any log size.
constexpr int kScanPage = 2000;

// One element of a PostgreSQL array literal: "text" with \ and " escaped.
void append_array_element(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// The batch as one statement: bump event_head, insert at the freed seqs, notify the followers
// (delivered at commit), return the last seq.
constexpr const char* kAppend =
    "WITH head AS ("
    "  UPDATE event_head SET last_seq = last_seq + $1::bigint RETURNING last_seq - $1::bigint AS base),"
    " ins AS ("
    "  INSERT INTO events(seq, ts, type, account, version, data, node)"
    "  SELECT head.base + e.ord, e.ts, e.type, e.account, e.version, e.data, $7"
    "  FROM head, unnest($2::bigint[], $3::text[], $4::text[], $5::integer[], $6::text[])"
    "    WITH ORDINALITY AS e(ts, type, account, version, data, ord))"
    " SELECT base + $1::bigint FROM head, (SELECT pg_notify('quotaguard_events', '')) AS n";

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
  ArrayParams a;
  for (const Event* e : events) a.add(e->ts, event_type(*e), e->account, kEventSchemaVersion, encode_payload(e->payload));
  const std::uint64_t last = run_append(a.params(events.size(), node_id_));
  std::uint64_t seq = last - events.size();
  for (Event* e : events) {
    e->seq = ++seq;
    e->node = node_id_;  // as the row has it: state folded from these equals a replay's
  }
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

std::uint64_t PostgresEventLog::append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                                             const std::function<std::vector<Event*>()>& choose) {
  auto c = pool_.acquire();
  PgTransaction tx(*c);
  auto head = c->exec("SELECT last_seq FROM event_head FOR UPDATE");
  if (head.rows() != 1) throw StorageError(c->error_text("event_head has no row; the schema is damaged"));
  std::uint64_t last = static_cast<std::uint64_t>(head.int64(0, 0));
  for (std::uint64_t from = known + 1; from <= last;) {
    PgResult page = c->exec("SELECT seq, ts, type, account, version, data, node FROM events"
                            " WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                            {std::to_string(from), std::to_string(last), std::to_string(kScanPage)});
    if (page.rows() == 0) break;
    for (int i = 0; i < page.rows(); ++i) {
      const EventRow row{static_cast<std::uint64_t>(page.int64(i, 0)), page.int64(i, 1), page.text(i, 2),
                         page.text(i, 3), static_cast<int>(page.int64(i, 4)), page.text(i, 5),
                         page.text(i, 6)};
      fold(row);
      from = row.seq + 1;
    }
  }
  const std::vector<Event*> events = choose();
  if (!events.empty()) {
    ArrayParams a;
    for (const Event* e : events) a.add(e->ts, event_type(*e), e->account, kEventSchemaVersion, encode_payload(e->payload));
    last = run_append_on(*c, a.params(events.size(), node_id_));
    std::uint64_t seq = last - events.size();
    for (Event* e : events) {
      e->seq = ++seq;
      e->node = node_id_;
    }
  }
  tx.commit();
  return last;
}

void PostgresEventLog::scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) {
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
    PgResult page = pool_.acquire()->exec(sql, params);
    for (int i = 0; i < page.rows(); ++i) {
      const EventRow row{static_cast<std::uint64_t>(page.int64(i, 0)), page.int64(i, 1), page.text(i, 2),
                         page.text(i, 3), static_cast<int>(page.int64(i, 4)), page.text(i, 5),
                         page.text(i, 6)};
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
