// tests/persistence/recovery_property_test.cpp — property: for thousands of random seeded
// events, snapshot + tail == full replay == the live fold, through the stores and through
// the journal actor; damaged snapshots are skipped.
#include "messages/event_codec.hpp"
#include "persistence/event_store.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/recovery.hpp"
#include "persistence/replay.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/state_codec.hpp"
#include "sample_events.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <random>
#include <sstream>

using namespace qg;

namespace {
SystemState full_replay(Database& db) {
  SystemState s;
  EventStore(db).scan(ScanRange{}, [&](const EventRow& row) {
    apply(s, decode_row(row, nullptr));
    return true;
  });
  return s;
}

int verify(const std::string& path, std::string* report) {
  std::ostringstream out, err;
  ReplayOptions o;
  o.storage.db_path = path;
  o.verify = true;
  const int rc = run_replay(o, out, err);
  *report = out.str() + err.str();
  return rc;
}
}  // namespace

TEST_CASE("property: snapshot + tail == full replay == live state (stores, random batches and snapshot points)") {
  for (std::uint32_t seed : {11u, 12u, 13u}) {
    CAPTURE(seed);
    test::TempDir dir;
    const auto path = dir.file("p.db");
    auto db = Database::open({path});
    EventStore events(*db);
    SnapshotStore snapshots(*db);
    test::RandomLog log(seed);
    std::mt19937 rng(seed);
    SystemState live;
    std::uint64_t last_snapshot = 0;
    std::size_t written = 0;
    while (written < 4000) {
      std::vector<Event> batch = log.take(std::uniform_int_distribution<std::size_t>(1, 40)(rng));
      events.append(batch);
      for (const auto& e : batch) apply(live, e);
      written += batch.size();
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
        snapshots.write(live.last_seq, 0, kStateSchemaVersion, encode_state(live));
        last_snapshot = live.last_seq;
      }
    }
    REQUIRE(last_snapshot > 0);
    auto r = recover(*db);
    CHECK(r.snapshot_seq == last_snapshot);
    CHECK(r.events_replayed == live.last_seq - last_snapshot);
    CHECK(r.state == live);
    CHECK(full_replay(*db) == live);
    std::string report;
    CHECK_MESSAGE(verify(path, &report) == 0, report);

    // The newest snapshot damaged: recovery falls back to an older one, same result.
    db->exec("UPDATE snapshots SET checksum = '0' WHERE seq = " + std::to_string(last_snapshot));
    auto fallback = recover(*db);
    CHECK(fallback.snapshot_seq < last_snapshot);
    CHECK(fallback.state == live);
    REQUIRE_FALSE(fallback.warnings.empty());
    CHECK(fallback.warnings[0].find("checksum mismatch") != std::string::npos);

    // No snapshot at all: full replay.
    db->exec("DELETE FROM snapshots");
    auto none = recover(*db);
    CHECK(none.snapshot_seq == 0);
    CHECK(none.events_replayed == live.last_seq);
    CHECK(none.state == live);
  }
}

TEST_CASE("property: events appended through the journal actor recover to the journal's own fold") {
  test::TempDir dir;
  const auto path = dir.file("p.db");
  SystemState expected;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    std::shared_ptr<Database> db = Database::open({path});
    JournalOptions o;
    o.log = std::make_shared<EventStore>(db);
    o.snapshot_every = 333;
    auto journal = spawn_journal(sys, std::move(o));
    caf::scoped_actor self{sys};
    test::RandomLog log(99);
    std::mt19937 rng(99);
    std::size_t sent = 0;
    while (sent < 3000) {
      EventBatch batch = log.take(std::uniform_int_distribution<std::size_t>(1, 8)(rng));
      sent += batch.size();
      self->request(journal, caf::infinite, append_atom::value, batch)
          .receive([&](const AppendResult& r) {
            REQUIRE(r.error.empty());
            std::uint64_t seq = r.last_seq - batch.size();
            for (auto& e : batch) {
              e.seq = ++seq;
              apply(expected, e);
            }
          }, [](const caf::error&) { FAIL("no reply"); });
    }
    self->send_exit(journal, caf::exit_reason::user_shutdown);
  }
  auto db = Database::open({path, OpenMode::read_only});
  auto r = recover(*db);
  CHECK(r.snapshot_seq > 0);
  CHECK(r.snapshot_seq >= 333);
  CHECK(r.state == expected);
  CHECK(full_replay(*db) == expected);
  std::string report;
  CHECK_MESSAGE(verify(path, &report) == 0, report);
}
