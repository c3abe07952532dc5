// tests/postgres/log_fixtures.hpp — logs to compare across backends: a seeded random log with
// snapshots, written through the EventLog seam, and every row of a log as comparable text; a
// node's storage.postgres.
#pragma once

#include "config/config.hpp"
#include "persistence/event_log.hpp"
#include "persistence/replay.hpp"
#include "persistence/state_codec.hpp"
#include "quota/system_state.hpp"
#include "tests/persistence/sample_events.hpp"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace qg::test {

// storage.postgres of node `node` on the database at `dsn`.
inline PostgresConfig postgres_node(const std::string& dsn, const std::string& node) {
  PostgresConfig c;
  c.dsn = dsn;
  c.node_id = node;
  return c;
}

// `batches` batches of `batch` events of RandomLog(seed) appended to `log`, with a snapshot
// of the folded state (ts `snapshot_ts`) at every multiple of `snapshot_every`.
inline void fill_random_log(EventLog& log, std::uint32_t seed, int batches, std::size_t batch,
                            std::uint64_t snapshot_every, TimeMs snapshot_ts = 0) {
  RandomLog events(seed);
  SystemState state;
  for (int i = 0; i < batches; ++i) {
    auto next = events.take(batch);
    log.append(next);
    for (const auto& e : next) apply(state, e);
    if (state.last_seq % snapshot_every == 0)
      log.write_snapshot(state.last_seq, snapshot_ts, kStateSchemaVersion, encode_state(state));
  }
}

// Every row in `range` as "seq|ts|type|account|version|data" (the node column aside).
inline std::vector<std::string> rows_of(EventLog& log, ScanRange range = {}) {
  std::vector<std::string> out;
  log.scan(range, [&](const EventRow& r) {
    out.push_back(std::to_string(r.seq) + "|" + std::to_string(r.ts) + "|" + std::string(r.type) + "|" +
                  std::string(r.account) + "|" + std::to_string(r.version) + "|" + std::string(r.data));
    return true;
  });
  return out;
}

// `quotaguard replay --verify` over the PostgreSQL log at `dsn` (read-only): its exit code and
// everything it printed.
inline std::pair<int, std::string> verify_postgres_log(const std::string& dsn) {
  ReplayOptions o;
  o.storage.backend = StorageBackend::postgres;
  o.storage.postgres.dsn = dsn;
  o.storage.postgres.node_id = "verify";
  o.verify = true;
  std::ostringstream out, err;
  const int rc = run_replay(o, out, err);
  return {rc, out.str() + err.str()};
}

}  // namespace qg::test
