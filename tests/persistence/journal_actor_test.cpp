// tests/persistence/journal_actor_test.cpp — group commit through the real journal actor on a
// real SQLite file: concurrent appenders from threads and actors, gapless seqs, acknowledged
// means visible to another connection, failed writes held and written in order once the log
// is writable again (a trigger, a write lock held by another connection), flush and snapshot.
#include "messages/event_codec.hpp"
#include "persistence/event_store.hpp"
#include "persistence/journal_actor.hpp"
#include "messages/journal_health.hpp"
#include "persistence/recovery.hpp"
#include "persistence/snapshot_store.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "tests/persistence/journal_calls.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

using namespace qg;

namespace {

struct Ack {
  std::uint64_t last_seq;
  std::vector<std::string> ids;  // reservation ids of the batch, in order
};

Event created(const std::string& id) {
  return Event{0, 1'790'000'000'000, "acct", ReservationCreated{id, "m", Usage{1, 2, 3}, 0}};
}

journal_actor start(caf::actor_system& sys, const std::string& path, std::uint64_t snapshot_every) {
  std::shared_ptr<Database> db = Database::open({path});
  JournalOptions o;
  o.log = std::make_shared<EventStore>(db);
  o.state = recover(*db).state;
  o.snapshot_every = snapshot_every;
  return spawn_journal(sys, std::move(o));
}

// A log file and an actor system for one journal.
struct JournalFile {
  test::TempDir dir;
  std::string path = dir.file("j.db");
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

// A journal on `path` reporting to `health`, retrying held events every `retry_ms`.
journal_actor start_watched(caf::actor_system& sys, const std::string& path,
                            std::shared_ptr<JournalHealth> health, int retry_ms,
                            int busy_timeout_ms = 5000) {
  DatabaseOptions dbo{path};
  dbo.busy_timeout_ms = busy_timeout_ms;
  JournalOptions o;
  o.log = std::make_shared<EventStore>(Database::open(dbo));
  o.health = std::move(health);
  o.retry_ms = retry_ms;
  return spawn_journal(sys, std::move(o));
}

using test::append_sync;
using test::ask;

}  // namespace

TEST_CASE("concurrent appenders from threads and actors: all acknowledged, seqs gapless, acknowledged is durable") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto journal = start(sys, path, 250);

  std::mutex mutex;
  std::vector<Ack> acks;
  std::vector<std::string> errors;
  auto record = [&](const AppendResult& r, std::vector<std::string> ids) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!r.error.empty()) errors.push_back(r.error);
    else acks.push_back(Ack{r.last_seq, std::move(ids)});
  };

  // 6 threads appending one batch at a time (1-3 events each).
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        EventBatch batch;
        std::vector<std::string> ids;
        for (int k = 0; k <= i % 3; ++k) {
          ids.push_back("t" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(k));
          batch.push_back(created(ids.back()));
        }
        record(append_sync(sys, journal, std::move(batch)), std::move(ids));
      }
    });
  // 3 actors firing 300 single-event appends each without waiting.
  std::vector<std::promise<void>> done(3);
  for (int a = 0; a < 3; ++a) {
    // An argument avoids CAF 0.17's empty-tuple init path (UBSan noise in its header).
    sys.spawn([&](caf::event_based_actor* self, int a) {
      auto remaining = std::make_shared<int>(300);
      for (int i = 0; i < 300; ++i) {
        const std::string id = "a" + std::to_string(a) + "-" + std::to_string(i);
        self->request(journal, caf::infinite, append_atom::value, EventBatch{created(id)})
            .then([&, id, remaining, a](const AppendResult& r) {
              record(r, {id});
              if (--*remaining == 0) done[a].set_value();
            });
      }
    }, a);
  }
  for (auto& t : threads) t.join();
  for (auto& d : done) d.get_future().wait();

  CHECK(errors.empty());
  const std::size_t expected = 6 * (150 / 3) * (1 + 2 + 3) + 3 * 300;
  std::size_t total = 0;
  for (const auto& a : acks) total += a.ids.size();
  CHECK(total == expected);

  // Every acknowledged event is visible, at the seq its ack implies, to another connection.
  auto reader = Database::open({path, OpenMode::read_only});
  EventStore store(*reader);
  CHECK(store.last_seq() == expected);
  std::vector<std::string> id_at(expected + 1);
  store.scan(ScanRange{}, [&](const EventRow& row) {
    id_at[row.seq] = std::get<ReservationCreated>(decode_row(row, nullptr).payload).id;
    return true;
  });
  std::set<std::uint64_t> seen;
  for (const auto& a : acks)
    for (std::size_t k = 0; k < a.ids.size(); ++k) {
      const std::uint64_t seq = a.last_seq - (a.ids.size() - 1 - k);
      CHECK(id_at[seq] == a.ids[k]);
      CHECK(seen.insert(seq).second);
    }
  CHECK(seen.size() == expected);
  CHECK(*seen.begin() == 1);
  CHECK(*seen.rbegin() == expected);

  // Snapshots were written every 250 events, and the newest one is the journal's state.
  auto snaps = SnapshotStore(*reader).list();
  REQUIRE_FALSE(snaps.empty());
  CHECK(snaps.front().seq >= 250);
  auto recovered = recover(*reader);
  CHECK(recovered.snapshot_seq == snaps.front().seq);
  CHECK(recovered.state.accounts.at("acct").counters.created == static_cast<std::int64_t>(expected));
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

std::vector<std::string> logged_ids(const std::string& path) {
  auto reader = Database::open({path, OpenMode::read_only});
  std::vector<std::string> ids;
  std::uint64_t expected_seq = 1;
  EventStore(*reader).scan(ScanRange{}, [&](const EventRow& row) {
    CHECK(row.seq == expected_seq++);  // gapless
    const Event e = decode_row(row, nullptr);
    if (const auto* c = std::get_if<ReservationCreated>(&e.payload)) ids.push_back(c->id);
    return true;
  });
  return ids;
}

TEST_CASE("a failed write answers the batch with the error, holds its events and writes them first once it can") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto health = std::make_shared<JournalHealth>();
  // No timer (an hour): only the next append retries here.
  auto journal = start_watched(sys, path, health, 3'600'000);
  CHECK(append_sync(sys, journal, {created("ok-1")}).last_seq == 1);
  auto other = Database::open({path});
  other->exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.data LIKE '%fail-me%'"
              " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");

  const auto failed = append_sync(sys, journal, {created("x"), created("fail-me")});
  CHECK(failed.last_seq == 0);
  CHECK(failed.error.find("disk on fire") != std::string::npos);
  CHECK_FALSE(health->ok());
  CHECK(health->held() == 2);
  // Newer events queue behind the held ones: nothing is written out of order.
  CHECK_FALSE(append_sync(sys, journal, {created("ok-2")}).error.empty());
  CHECK(health->held() == 3);
  CHECK(health->view().error.find("disk on fire") != std::string::npos);
  CHECK(logged_ids(path) == std::vector<std::string>{"ok-1"});

  other->exec("DROP TRIGGER boom");  // the disk "frees"
  CHECK(append_sync(sys, journal, {created("ok-3")}).last_seq == 5);
  CHECK(health->ok());
  CHECK(health->held() == 0);
  CHECK(logged_ids(path) == std::vector<std::string>{"ok-1", "x", "fail-me", "ok-2", "ok-3"});
  CHECK(ask(sys, journal, flush_atom::value) == 5);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

// An append with a DurableNotice (messages/journal_protocol.hpp): the notice runs once its
// commit is done — the event readable on another connection then — before the append's reply,
// and never for an append whose write failed, not even when its held events are written later.
TEST_CASE("a durable notice runs after the commit that wrote its append, before the reply, never for a failed write") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto health = std::make_shared<JournalHealth>();
  auto journal = start_watched(sys, path, health, 3'600'000);  // no retry timer: only appends retry
  struct Seen {
    std::mutex m;
    std::vector<std::string> ran;                   // the notices run, in order
    std::vector<std::vector<std::string>> logged;   // what another connection read when each ran
  };
  auto seen = std::make_shared<Seen>();
  auto notice = [&, seen](const std::string& name) {
    return std::make_shared<DurableNotice>(DurableNotice{[seen, name, &path] {
      auto ids = logged_ids(path);
      std::lock_guard<std::mutex> lock(seen->m);
      seen->ran.push_back(name);
      seen->logged.push_back(std::move(ids));
    }});
  };
  auto append_noticed = [&](EventBatch batch, const std::string& name) {
    caf::scoped_actor self{sys};
    AppendResult out = AppendResult::failed("no reply");
    std::size_t ran_at_reply = 0;
    self->request(journal, caf::infinite, append_atom::value, std::move(batch), AppendCondition{"acct"}, notice(name))
        .receive([&](const AppendResult& r) {
                   out = r;
                   std::lock_guard<std::mutex> lock(seen->m);
                   ran_at_reply = seen->ran.size();
                 },
                 [&](const caf::error& e) { out.error = to_string(e); });
    return std::make_pair(out, ran_at_reply);
  };

  auto [first, ran_before_first_reply] = append_noticed({created("one")}, "one");
  CHECK(first.last_seq == 1);
  CHECK(ran_before_first_reply == 1);  // the notice ran before the reply came
  {
    std::lock_guard<std::mutex> lock(seen->m);
    REQUIRE(seen->ran == std::vector<std::string>{"one"});
    CHECK(seen->logged[0] == std::vector<std::string>{"one"});  // durable when it ran
  }

  auto other = Database::open({path});
  other->exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.data LIKE '%fail-me%'"
              " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  auto [failed, ran_before_failed_reply] = append_noticed({created("fail-me")}, "failed");
  CHECK(failed.last_seq == 0);
  CHECK_FALSE(failed.error.empty());
  CHECK(ran_before_failed_reply == 1);  // not run: the sender decides what a failed write means
  other->exec("DROP TRIGGER boom");
  CHECK(append_sync(sys, journal, {created("two")}).last_seq == 3);  // writes the held event too
  CHECK(logged_ids(path) == std::vector<std::string>{"one", "fail-me", "two"});
  {
    std::lock_guard<std::mutex> lock(seen->m);
    CHECK(seen->ran == std::vector<std::string>{"one"});  // the held event's notice never runs
  }
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

// A quiet append (messages/journal_protocol.hpp): answered to nobody. With a notice, the notice
// is its only answer: `run` once durable, `unwritten` (and never `run`) when its write failed;
// the events are held and written later as any other's.
TEST_CASE("a quiet append gets no reply, its notice runs once durable or says unwritten when the write failed") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto journal = start_watched(sys, path, std::make_shared<JournalHealth>(), 3'600'000);
  struct Seen {
    std::mutex m;
    std::vector<std::string> said;  // "<name> ran" / "<name> unwritten", in order
  };
  auto seen = std::make_shared<Seen>();
  auto notice = [seen](const std::string& name) {
    auto say = [seen](std::string what) {
      std::lock_guard<std::mutex> lock(seen->m);
      seen->said.push_back(std::move(what));
    };
    return std::make_shared<DurableNotice>(
        DurableNotice{[say, name] { say(name + " ran"); }, [say, name](const std::string&) { say(name + " unwritten"); }});
  };
  caf::scoped_actor self{sys};
  self->send(journal, append_atom::value, EventBatch{created("lazy")}, lazy_atom::value, quiet_atom::value);
  self->send(journal, append_atom::value, EventBatch{created("one")}, notice("one"), quiet_atom::value);
  CHECK(ask(sys, journal, flush_atom::value) == 2);
  CHECK(logged_ids(path) == std::vector<std::string>{"lazy", "one"});

  auto other = Database::open({path});
  other->exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.data LIKE '%fail-me%'"
              " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  self->send(journal, append_atom::value, EventBatch{created("fail-me")}, notice("failed"), quiet_atom::value);
  ask(sys, journal, flush_atom::value);
  other->exec("DROP TRIGGER boom");
  CHECK(append_sync(sys, journal, {created("two")}).last_seq == 4);  // writes the held event too
  CHECK(logged_ids(path) == std::vector<std::string>{"lazy", "one", "fail-me", "two"});
  {
    std::lock_guard<std::mutex> lock(seen->m);
    CHECK(seen->said == std::vector<std::string>{"one ran", "failed unwritten"});
  }
  bool replied = false;  // nothing came back for the three quiet appends
  self->receive([&](const AppendResult&) { replied = true; }, caf::after(std::chrono::milliseconds(100)) >> [] {});
  CHECK_FALSE(replied);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

TEST_CASE("write lock held by another process: appends fail after busy_timeout, the retry timer writes them when it is released") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto health = std::make_shared<JournalHealth>();
  auto journal = start_watched(sys, path, health, /*retry_ms=*/20, /*busy_timeout_ms=*/50);
  CHECK(append_sync(sys, journal, {created("before")}).last_seq == 1);

  auto locker = Database::open({path});
  locker->exec("BEGIN EXCLUSIVE");
  const auto failed = append_sync(sys, journal, {created("during-1"), created("during-2")});
  CHECK(failed.last_seq == 0);
  CHECK(failed.error.find("locked") != std::string::npos);
  CHECK_FALSE(health->ok());
  CHECK(health->held() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // several retries, all locked
  CHECK_FALSE(health->ok());
  CHECK(health->held() == 2);

  locker->exec("COMMIT");
  // No new append: the retry timer alone writes the held events.
  for (int i = 0; i < 500 && !health->ok(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(health->ok());
  CHECK(logged_ids(path) == std::vector<std::string>{"before", "during-1", "during-2"});
  CHECK(append_sync(sys, journal, {created("after")}).last_seq == 4);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

TEST_CASE("empty batch, flush and snapshot messages") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  auto journal = start(sys, path, 0);
  CHECK(append_sync(sys, journal, {}).last_seq == 0);
  CHECK(append_sync(sys, journal, {created("r1"), created("r2")}).last_seq == 2);
  CHECK(ask(sys, journal, snapshot_atom::value) == 2);
  auto reader = Database::open({path, OpenMode::read_only});
  auto snaps = SnapshotStore(*reader).list();
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].seq == 2);
  CHECK(recover(*reader).snapshot_seq == 2);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

TEST_CASE("events that arrive without a timestamp get the journal's clock") {
  JournalFile f;
  auto& sys = f.sys;
  const auto& path = f.path;
  std::shared_ptr<Database> db = Database::open({path});
  JournalOptions o;
  o.log = std::make_shared<EventStore>(db);
  o.clock = [] { return TimeMs{1234}; };
  auto journal = spawn_journal(sys, std::move(o));
  CHECK(append_sync(sys, journal, {Event{0, 0, "", CooldownEnded{"x"}}}).last_seq == 1);
  auto reader = Database::open({path, OpenMode::read_only});
  CHECK(EventStore(*reader).read_after(0, 1).at(0).ts == 1234);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

namespace {

// Commits the journal has made so far (every commit observes its batch size once).
std::uint64_t commits_so_far() {
  const auto counts = metrics::journal_batch_size().with({}).bucket_counts();
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

journal_actor start_lazy(caf::actor_system& sys, const std::string& path, int lazy_ms) {
  JournalOptions o;
  o.log = std::make_shared<EventStore>(Database::open({path}));
  o.lazy_ms = lazy_ms;
  return spawn_journal(sys, std::move(o));
}

}  // namespace

TEST_CASE("a lazy append starts no commit of its own: it rides in the next append's, in order") {
  JournalFile f;
  auto journal = start_lazy(f.sys, f.path, 600'000);  // the lazy timer never fires in this test
  const std::uint64_t before = commits_so_far();
  caf::scoped_actor lazy_sender{f.sys};
  auto lazy = lazy_sender->request(journal, caf::infinite, append_atom::value, EventBatch{created("lazy")},
                                   AppendCondition{"acct"}, lazy_atom::value);
  CHECK(append_sync(f.sys, journal, {created("eager")}).last_seq == 2);
  AppendResult lazy_result = AppendResult::failed("no reply");
  lazy.receive([&](const AppendResult& r) { lazy_result = r; }, [](const caf::error&) {});
  CHECK(lazy_result.error.empty());
  CHECK(lazy_result.last_seq == 1);           // appended first, written first
  CHECK(commits_so_far() - before == 1);      // one transaction held both (before: two)
  auto reader = Database::open({f.path, OpenMode::read_only});
  const auto rows = EventStore(*reader).read_after(0, 10);
  REQUIRE(rows.size() == 2);
  REQUIRE(std::holds_alternative<ReservationCreated>(rows[0].payload));
  CHECK(std::get<ReservationCreated>(rows[0].payload).id == "lazy");
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

TEST_CASE("a lazy append alone is committed by the lazy timer, and a flush takes it at once") {
  JournalFile f;
  {
    auto journal = start_lazy(f.sys, f.path, 1);
    caf::scoped_actor self{f.sys};
    AppendResult r = AppendResult::failed("no reply");
    self->request(journal, std::chrono::seconds(60), append_atom::value, EventBatch{created("alone")},
                  AppendCondition{"acct"}, lazy_atom::value)
        .receive([&](const AppendResult& a) { r = a; }, [&](const caf::error& e) { r.error = to_string(e); });
    CHECK(r.error.empty());
    CHECK(r.last_seq == 1);
    anon_send_exit(journal, caf::exit_reason::user_shutdown);
  }
  auto journal = start_lazy(f.sys, f.path, 600'000);
  caf::scoped_actor lazy_sender{f.sys};
  auto lazy = lazy_sender->request(journal, caf::infinite, append_atom::value, EventBatch{created("flushed")},
                                   AppendCondition{"acct"}, lazy_atom::value);
  CHECK(ask(f.sys, journal, flush_atom::value) == 2);
  std::uint64_t seq = 0;
  lazy.receive([&](const AppendResult& a) { seq = a.last_seq; }, [](const caf::error&) {});
  CHECK(seq == 2);
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}
