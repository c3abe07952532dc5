// tests/persistence/replay_verify_test.cpp — `replay` output and filters, and `--verify`
// catching each kind of violation in logs damaged directly through SQL.
#include "messages/event_codec.hpp"
#include "persistence/event_store.hpp"
#include "persistence/replay.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/state_codec.hpp"
#include "sample_events.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace qg;
using nlohmann::json;

namespace {

constexpr std::size_t kEvents = 600;

// A clean random log of kEvents events with a snapshot at seq 400.
std::unique_ptr<Database> build_log(const std::string& path) {
  auto db = Database::open({path});
  EventStore store(*db);
  test::RandomLog log(7);
  SystemState state;
  for (std::size_t i = 0; i < kEvents; i += 50) {
    auto batch = log.take(50);
    store.append(batch);
    for (const auto& e : batch) apply(state, e);
    if (state.last_seq == 400) SnapshotStore(*db).write(400, 0, kStateSchemaVersion, encode_state(state));
  }
  return db;
}

struct Result {
  int rc;
  std::string out, err;
};

Result replay(ReplayOptions o, const std::string& path) {
  o.storage.db_path = path;
  std::ostringstream out, err;
  const int rc = run_replay(o, out, err);
  return {rc, out.str(), err.str()};
}

Result verify(const std::string& path) {
  ReplayOptions o;
  o.verify = true;
  return replay(o, path);
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// Finds the first event of `type` and returns (seq, account, data).
std::tuple<std::uint64_t, std::string, std::string> first_of(Database& db, const char* type) {
  Statement st = db.prepare("SELECT seq, account, data FROM events WHERE type = ?1 ORDER BY seq LIMIT 1");
  st.bind(1, std::string_view(type));
  REQUIRE(st.step());
  return {static_cast<std::uint64_t>(st.column_int(0)), std::string(st.column_text(1)), std::string(st.column_text(2))};
}

void append_raw(Database& db, const Event& e) {
  EventStore store(db);
  std::vector<Event> one{e};
  store.append(one);
}

std::string id_in(const std::string& data) { return json::parse(data)["id"].get<std::string>(); }

}  // namespace

TEST_CASE("verify passes on a clean log") {
  test::TempDir dir;
  build_log(dir.file("q.db"));
  auto r = verify(dir.file("q.db"));
  CHECK(r.rc == 0);
  CHECK(r.out.find("verify: ok - 600 events") == 0);
}

TEST_CASE("verify names the seq of each violation kind") {
  test::TempDir dir;
  const auto path = dir.file("q.db");

  SUBCASE("gap") {
    auto db = build_log(path);
    db->exec("DELETE FROM events WHERE seq = 100");
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 101: gap: expected seq 100") != std::string::npos);
  }
  SUBCASE("reservation created twice") {
    auto db = build_log(path);
    auto [seq, account, data] = first_of(*db, "ReservationCreated");
    append_raw(*db, Event{0, 1, account, ReservationCreated{id_in(data), "m", {}, 0}});
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 601: reservation " + id_in(data) + " created again (first at seq " +
                     std::to_string(seq) + ")") != std::string::npos);
  }
  SUBCASE("resolution of an unknown reservation") {
    auto db = build_log(path);
    append_raw(*db, Event{0, 1, "acct-1", ReservationReleased{"ghost", "x"}});
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 601: ReservationReleased of reservation ghost, which was never created") != std::string::npos);
  }
  SUBCASE("resolved twice") {
    auto db = build_log(path);
    auto [seq, account, data] = first_of(*db, "ReservationCommitted");
    append_raw(*db, Event{0, 1, account, ReservationExpired{id_in(data)}});
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 601: ReservationExpired of reservation " + id_in(data) +
                     ", already resolved at seq " + std::to_string(seq)) != std::string::npos);
  }
  SUBCASE("resolved by another account") {
    auto db = build_log(path);
    append_raw(*db, Event{0, 1, "acct-1", ReservationCreated{"fresh", "m", {}, 0}});
    append_raw(*db, Event{0, 1, "acct-2", ReservationCommitted{"fresh", {}, false}});
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 602: ReservationCommitted of reservation fresh by account \"acct-2\"") != std::string::npos);
  }
  SUBCASE("malformed payload of a known type") {
    auto db = build_log(path);
    db->exec("UPDATE events SET data = '{\"id\": 5' WHERE seq = 450");
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 450: malformed") != std::string::npos);
  }
  SUBCASE("snapshot usage differs from the events") {
    auto db = build_log(path);
    auto snap = SnapshotStore(*db).list().at(0);
    auto state = *decode_state(snap.data, nullptr);
    auto& acc = state.accounts.begin()->second;
    REQUIRE_FALSE(acc.windows.empty());
    acc.windows[0].used += 7;
    SnapshotStore(*db).write(400, 0, kStateSchemaVersion, encode_state(state));
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 400: snapshot claims account " + acc.id) != std::string::npos);
  }
  SUBCASE("snapshot differs from the full replay elsewhere") {
    auto db = build_log(path);
    auto state = *decode_state(SnapshotStore(*db).list().at(0).data, nullptr);
    state.accounts.begin()->second.counters.released += 1;
    SnapshotStore(*db).write(400, 0, kStateSchemaVersion, encode_state(state));
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 400: snapshot differs from full replay in account " +
                     state.accounts.begin()->first + ": counters") != std::string::npos);
  }
  SUBCASE("snapshot checksum") {
    auto db = build_log(path);
    db->exec("UPDATE snapshots SET data = replace(data, '\"used\":', '\"used\": ')");
    auto r = verify(path);
    CHECK(r.rc == 1);
    CHECK(r.out.find("seq 400: snapshot checksum mismatch") != std::string::npos);
  }
  SUBCASE("unknown event types are warnings, not violations") {
    auto db = build_log(path);
    db->exec("INSERT INTO events VALUES(601, 1, 'FromTheFuture', '', 1, '{}')");
    db->exec("INSERT INTO events VALUES(602, 1, 'ReservationExpired', '', 9, '{\"id\":\"zz\"}')");
    auto r = verify(path);
    CHECK(r.rc == 0);
    CHECK(r.out.find("2 events of unknown type/version") != std::string::npos);
  }
}

TEST_CASE("replay --json prints one object per event then the state") {
  test::TempDir dir;
  build_log(dir.file("q.db"));
  ReplayOptions o;
  o.json = true;
  auto r = replay(o, dir.file("q.db"));
  CHECK(r.rc == 0);
  auto lines = json_lines(r.out);
  REQUIRE(lines.size() == kEvents + 1);
  CHECK(lines[0]["seq"] == 1);
  for (const char* key : {"seq", "ts", "type", "account", "data"}) CHECK(lines[0].contains(key));
  CHECK(lines[0]["type"] == "AccountRegistered");
  CHECK(lines[kEvents - 1]["seq"] == kEvents);
  const auto& state = lines.back()["state"];
  CHECK(state["last_seq"] == kEvents);
  REQUIRE_FALSE(state["accounts"].empty());
  CHECK(state["accounts"][0]["windows"][0].contains("remaining"));

  o.events_only = true;
  CHECK(json_lines(replay(o, dir.file("q.db")).out).size() == kEvents);
}

TEST_CASE("replay filters: --since/--until by seq and time, --account") {
  test::TempDir dir;
  auto db = build_log(dir.file("q.db"));
  ReplayOptions o;
  o.json = true;
  o.events_only = true;
  o.since = "10";
  o.until = "19";
  auto lines = json_lines(replay(o, dir.file("q.db")).out);
  REQUIRE(lines.size() == 10);
  CHECK(lines.front()["seq"] == 10);
  CHECK(lines.back()["seq"] == 19);

  const std::string ts50 = lines.front()["ts"];
  o.since = std::nullopt;
  o.until = ts50;
  for (const auto& l : json_lines(replay(o, dir.file("q.db")).out)) CHECK(l["ts"].get<std::string>() <= ts50);

  o.until = std::nullopt;
  o.account = "acct-1";
  o.events_only = false;
  lines = json_lines(replay(o, dir.file("q.db")).out);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) CHECK(lines[i]["account"] == "acct-1");
  REQUIRE(lines.back()["state"]["accounts"].size() == 1);
  CHECK(lines.back()["state"]["accounts"][0]["id"] == "acct-1");
}

TEST_CASE("replay text mode, bad arguments and storage errors") {
  test::TempDir dir;
  auto db = build_log(dir.file("q.db"));
  auto r = replay(ReplayOptions{}, dir.file("q.db"));
  CHECK(r.rc == 0);
  CHECK(r.out.find("1  ") == 0);
  CHECK(r.out.find("state at seq 600") != std::string::npos);

  ReplayOptions bad;
  bad.since = "last tuesday";
  r = replay(bad, dir.file("q.db"));
  CHECK(r.rc == 2);
  CHECK(r.err == "replay: --since \"last tuesday\" is neither a seq number nor an ISO 8601 time\n");

  r = replay(ReplayOptions{}, dir.file("missing.db"));
  CHECK(r.rc == 2);
  CHECK(r.err == "storage.db_path: " + dir.file("missing.db") + " does not exist\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
}

TEST_CASE("replay reads while a writer holds the database open, and progress goes to stderr") {
  test::TempDir dir;
  auto writer = build_log(dir.file("q.db"));
  append_raw(*writer, Event{0, 1, "acct-1", CooldownEnded{"x"}});
  ReplayOptions o;
  o.json = true;
  o.events_only = true;
  o.progress_every = 200;
  auto r = replay(o, dir.file("q.db"));
  CHECK(json_lines(r.out).size() == kEvents + 1);
  CHECK(r.err.find("replay: 600 events...") != std::string::npos);
}
