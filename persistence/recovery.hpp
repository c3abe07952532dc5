// persistence/recovery.hpp — rebuild the folded state from the log at startup.
//
// Loads the newest valid snapshot (checksum matches, codec version known, seq not beyond the
// log, decodes) and applies only the events after it. With no usable snapshot it replays
// from seq 1. Unknown or undecodable events are applied as UnknownEvent (no effect) and
// reported in `warnings`.
#pragma once

#include "quota/system_state.hpp"
#include "persistence/database.hpp"
#include "persistence/event_log.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace qg {

struct RecoveredState {
  SystemState state;
  std::uint64_t snapshot_seq = 0;     // 0 = no snapshot used
  std::uint64_t events_replayed = 0;  // events applied after the snapshot
  double elapsed_ms = 0;
  std::vector<std::string> warnings;  // skipped snapshots, unknown events (capped)
};

RecoveredState recover(EventLog& log);  // throws StorageError on I/O errors
RecoveredState recover(Database& db);    // the SQLite log of `db`

}  // namespace qg
