// tests/persistence/wal_checkpointer_test.cpp — the SQLite log's WAL checkpoints run off the
// writer's commits (persistence/wal_checkpointer.hpp): when, by whom, and that a reader holding
// an old snapshot blocks neither the commits nor the checkpoints.
#include "metrics/quotaguard_metrics.hpp"
#include "persistence/event_log.hpp"
#include "persistence/event_store.hpp"
#include "persistence/wal_checkpointer.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <numeric>
#include <thread>

using namespace qg;

namespace {

std::uint64_t checkpoints(const char* mode) {
  const auto counts = metrics::journal_checkpoint_seconds().with({mode}).bucket_counts();
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

void append_one(EventLog& log, int i) {
  std::vector<Event> one{Event{0, 1000 + i, "a", ReservationExpired{"r-" + std::to_string(i)}}};
  log.append(one);
}

std::int64_t count_events(const std::string& path) {
  auto db = Database::open({path, OpenMode::read_only});
  Statement st = db->prepare("SELECT COUNT(*) FROM events");
  REQUIRE(st.step());
  return st.column_int(0);
}

}  // namespace

TEST_CASE("a commit asks for a background checkpoint from start_frames on, and checkpoints itself past inline_frames") {
  const WalCheckpointOptions o{1000, 4000};
  CHECK(wal_checkpoint_need(o, 0) == WalCheckpointNeed::none);
  CHECK(wal_checkpoint_need(o, 999) == WalCheckpointNeed::none);
  CHECK(wal_checkpoint_need(o, 1000) == WalCheckpointNeed::background);
  CHECK(wal_checkpoint_need(o, 3999) == WalCheckpointNeed::background);
  CHECK(wal_checkpoint_need(o, 4000) == WalCheckpointNeed::inline_);
  CHECK(wal_checkpoint_need(o, 1 << 30) == WalCheckpointNeed::inline_);
}

TEST_CASE("a read-write SQLite log checkpoints its WAL on a thread of its own, not in its commits") {
  test::TempDir dir;
  StorageConfig storage;
  storage.db_path = dir.file("q.db");
  const auto background_before = checkpoints("background");
  const auto inline_before = checkpoints("inline");
  {
    auto log = open_event_log(storage, OpenMode::read_write);
    // 1,500 commits: past SQLite's 1,000-frame auto-checkpoint threshold, short of the inline bound.
    for (int i = 0; i < 1500; ++i) append_one(*log, i);
    for (int i = 0; i < 600 && checkpoints("background") == background_before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(checkpoints("background") > background_before);
    CHECK(checkpoints("inline") == inline_before);
    for (int i = 1500; i < 1600; ++i) append_one(*log, i);  // commits go on meanwhile
  }
  CHECK(count_events(storage.db_path) == 1600);
}

TEST_CASE("a reader holding an old snapshot blocks neither the commits nor the inline checkpoints") {
  test::TempDir dir;
  const auto path = dir.file("q.db");
  auto db = Database::open({path});
  EventStore store(*db);
  store.checkpoint_in_background({20, 60});
  append_one(store, 0);
  auto reader = Database::open({path, OpenMode::read_only});
  reader->exec("BEGIN");
  Statement snapshot = reader->prepare("SELECT COUNT(*) FROM events");
  REQUIRE(snapshot.step());
  CHECK(snapshot.column_int(0) == 1);
  const auto inline_before = checkpoints("inline");
  for (int i = 1; i < 200; ++i) append_one(store, i);  // throws if a commit failed (busy)
  CHECK(checkpoints("inline") > inline_before);
  snapshot.reset();
  REQUIRE(snapshot.step());
  CHECK(snapshot.column_int(0) == 1);  // still its snapshot
  snapshot.reset();
  reader->exec("COMMIT");
  for (int i = 200; i < 300; ++i) append_one(store, i);
  CHECK(count_events(path) == 300);
}
