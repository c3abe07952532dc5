// persistence/snapshot_store.hpp — the `snapshots` table: the folded state at a seq.
//
// A snapshot row holds the encoded SystemState (persistence/state_codec.hpp) after applying
// every event up to and including `seq`, its codec version, and an FNV-1a 64 checksum of
// `data` (16 lowercase hex digits). Readers must skip rows whose checksum does not match.
// Only the newest few snapshots are kept.
#pragma once

#include "messages/event.hpp"
#include "persistence/database.hpp"
#include "persistence/event_log.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// SnapshotRow and snapshot_checksum: persistence/event_log.hpp.

class SnapshotStore {
 public:
  explicit SnapshotStore(Database& db) : db_(db) {}

  // Writes (or replaces) the snapshot at `seq` in its own transaction and deletes all but the
  // newest `keep` snapshots.
  void write(std::uint64_t seq, TimeMs ts, int version, std::string_view data, int keep = 3);

  // All snapshots, newest first.
  std::vector<SnapshotRow> list();

 private:
  Database& db_;
};

}  // namespace qg
