// tests/persistence/stores_test.cpp — events, snapshots and settings tables.
#include "messages/event_codec.hpp"
#include "persistence/event_reader.hpp"
#include "persistence/event_store.hpp"
#include "persistence/settings_store.hpp"
#include "persistence/snapshot_store.hpp"
#include "sample_events.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace qg;

TEST_CASE("append assigns gapless seqs across batches and scan returns rows in order") {
  test::TempDir dir;
  auto db = Database::open({dir.file("q.db")});
  EventStore store(*db);
  CHECK(store.last_seq() == 0);
  std::vector<Event> first, second;
  for (const auto& p : test::sample_payloads()) first.push_back(Event{0, 100, "a", p});
  second.push_back(Event{0, 200, "b", ReservationExpired{"r-1"}});
  second.push_back(Event{0, 300, "", SettingChanged{"k", "1", "admin"}});
  const auto n = first.size();
  CHECK(store.append(first) == n);
  CHECK(store.append(second) == n + 2);
  CHECK(first.front().seq == 1);
  CHECK(second.back().seq == n + 2);

  std::vector<std::uint64_t> seqs;
  store.scan(ScanRange{}, [&](const EventRow& row) {
    seqs.push_back(row.seq);
    std::string warning;
    const Event e = decode_row(row, &warning);
    CHECK(warning.empty());
    CHECK(row.version == kEventSchemaVersion);
    CHECK(row.type == event_type(e));
    return true;
  });
  REQUIRE(seqs.size() == n + 2);
  for (std::size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == i + 1);

  ScanRange only_b;
  only_b.account = "b";
  int count = 0;
  store.scan(only_b, [&](const EventRow& row) { CHECK(row.account == "b"); return ++count > 0; });
  CHECK(count == 1);

  ScanRange window;
  window.from_seq = 3;
  window.to_seq = 5;
  count = 0;
  store.scan(window, [&](const EventRow&) { ++count; return true; });
  CHECK(count == 3);

  auto page = store.read_after(n, 10);
  REQUIRE(page.size() == 2);
  CHECK(std::get<ReservationExpired>(page[0].payload).id == "r-1");
  CHECK(page[1].account.empty());
  CHECK(store.read_after(0, 2).size() == 2);
}

TEST_CASE("first_seq_at_or_after finds the first event at or after a time") {
  test::TempDir dir;
  auto db = Database::open({dir.file("q.db")});
  EventStore store(*db);
  CHECK(store.first_seq_at_or_after(0) == 1);  // empty log: last seq + 1
  std::vector<Event> events;
  for (TimeMs ts = 1000; ts <= 10'000; ts += 1000)  // seq 1..10 at ts 1000..10000
    events.push_back(Event{0, ts, "a", ReservationExpired{"r-" + std::to_string(ts)}});
  store.append(events);
  CHECK(store.first_seq_at_or_after(0) == 1);
  CHECK(store.first_seq_at_or_after(1000) == 1);
  CHECK(store.first_seq_at_or_after(1001) == 2);
  CHECK(store.first_seq_at_or_after(5000) == 5);
  CHECK(store.first_seq_at_or_after(9999) == 10);
  CHECK(store.first_seq_at_or_after(10'000) == 10);
  CHECK(store.first_seq_at_or_after(10'001) == 11);
}

TEST_CASE("snapshots: newest first, checksum detects corruption, only the newest few are kept") {
  test::TempDir dir;
  auto db = Database::open({dir.file("q.db")});
  SnapshotStore snaps(*db);
  for (std::uint64_t seq = 10; seq <= 50; seq += 10) snaps.write(seq, 7, 1, "{\"n\":" + std::to_string(seq) + "}", 3);
  auto rows = snaps.list();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].seq == 50);
  CHECK(rows[2].seq == 30);
  CHECK(rows[0].checksum_ok());
  db->exec("UPDATE snapshots SET data = '{\"n\":51}' WHERE seq = 50");
  CHECK_FALSE(snaps.list()[0].checksum_ok());
  CHECK(snapshot_checksum("") == "cbf29ce484222325");
}

TEST_CASE("settings: get, overwrite, erase") {
  test::TempDir dir;
  auto db = Database::open({dir.file("q.db")});
  SettingsStore settings(*db);
  CHECK_FALSE(settings.get("telegram.token"));
  settings.set("telegram.token", "123:abc", 1);
  settings.set("telegram.token", "456:def", 2);
  CHECK(settings.get("telegram.token") == "456:def");
  settings.erase("telegram.token");
  CHECK_FALSE(settings.get("telegram.token"));
}

// persistence/event_reader: the same events as scan + decode_row, in order, across many
// hand-overs; stopping early; an exception of the consumer reaches the caller (reader joined).
TEST_CASE("read_events_ahead gives what scan gives, stops when asked, and passes exceptions on") {
  test::TempDir dir;
  auto db = Database::open({dir.file("q.db")});
  EventStore store(*db);
  std::vector<Event> events = test::RandomLog(7).take(5000);  // several batches of 1,024
  store.append(events);
  std::vector<std::string> scanned, read;
  store.scan(ScanRange{}, [&](const EventRow& row) {
    scanned.push_back(event_to_json_line(decode_row(row, nullptr)));
    return true;
  });
  read_events_ahead(store, ScanRange{}, [&](const Event& e) {
    read.push_back(event_to_json_line(e));
    return true;
  });
  REQUIRE(scanned.size() == 5000);
  CHECK(read == scanned);

  std::size_t seen = 0;
  read_events_ahead(store, ScanRange{}, [&](const Event&) { return ++seen < 1500; });
  CHECK(seen == 1500);

  seen = 0;
  CHECK_THROWS_AS(read_events_ahead(store, ScanRange{}, [&](const Event&) -> bool {
                    if (++seen == 2000) throw std::runtime_error("consumer failed");
                    return true;
                  }),
                  std::runtime_error);
  CHECK(seen == 2000);
}
