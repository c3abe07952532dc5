// persistence/recovery.cpp — newest valid snapshot + tail replay.
#include "persistence/recovery.hpp"

#include "persistence/event_store.hpp"
#include "persistence/state_codec.hpp"

#include <chrono>

namespace qg {

namespace {
constexpr std::size_t kMaxWarnings = 20;

void warn(RecoveredState& r, std::string text) {
  if (r.warnings.size() < kMaxWarnings) r.warnings.push_back(std::move(text));
}
}  // namespace

RecoveredState recover(Database& db) {
  EventStore log(db);
  return recover(log);
}

RecoveredState recover(EventLog& events) {
  const auto started = std::chrono::steady_clock::now();
  RecoveredState r;
  const std::uint64_t last = events.last_seq();
  for (auto& snap : events.snapshots()) {
    const std::string at = "snapshot at seq " + std::to_string(snap.seq) + ": ";
    if (!snap.checksum_ok()) { warn(r, at + "checksum mismatch; skipped"); continue; }
    if (snap.version != kStateSchemaVersion) {
      warn(r, at + "version " + std::to_string(snap.version) + " not readable; skipped");
      continue;
    }
    if (snap.seq > last) { warn(r, at + "beyond the last event; skipped"); continue; }
    std::string err;
    auto state = decode_state(snap.data, &err);
    if (!state || state->last_seq != snap.seq) {
      warn(r, at + (state ? "seq does not match its content" : err) + "; skipped");
      continue;
    }
    r.state = std::move(*state);
    r.snapshot_seq = snap.seq;
    break;
  }
  std::string warning;
  events.scan(ScanRange::starting_at(r.snapshot_seq + 1), [&](const EventRow& row) {
    apply(r.state, decode_row(row, &warning));
    if (!warning.empty()) warn(r, "seq " + std::to_string(row.seq) + ": " + warning);
    ++r.events_replayed;
    return true;
  });
  r.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace qg
