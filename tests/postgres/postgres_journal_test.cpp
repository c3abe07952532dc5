// tests/postgres/postgres_journal_test.cpp — the journal actor on the PostgreSQL event log:
// group commit from concurrent appenders (acknowledged = durable, gapless), two journals of two
// nodes on one database (each state and snapshot is the fold of the whole log, so
// `replay --verify` over it is clean), the commit paths (fast when nobody else appended, locked
// when another node did), and the database stopped under it (appends answered with the error,
// events held, written in order when the server is back).
#include "messages/journal_health.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/recovery.hpp"
#include "persistence/replay.hpp"
#include "persistence/state_codec.hpp"
#include "tests/persistence/journal_calls.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <mutex>
#include <sstream>
#include <thread>

using namespace qg;
using test::append_sync;
using test::ask;

namespace {

Event created(const std::string& account, const std::string& id) {
  return Event{0, 1'790'000'000'000, account, ReservationCreated{id, "m", Usage{1, 2, 3}, 0}};
}

journal_actor start(caf::actor_system& sys, std::shared_ptr<EventLog> log, std::uint64_t snapshot_every,
                    std::shared_ptr<JournalHealth> health = nullptr, int retry_ms = 1000) {
  JournalOptions o;
  o.log = log;
  o.state = recover(*log).state;
  o.snapshot_every = snapshot_every;
  o.health = std::move(health);
  o.retry_ms = retry_ms;
  return spawn_journal(sys, std::move(o));
}

// Node a's journal on a fresh database of the shared test server, stopped with the test.
struct OneJournal {
  std::string dsn = test::shared_postgres().create_database();
  std::shared_ptr<EventLog> log = PostgresEventLog::open(test::postgres_node(dsn, "a"), OpenMode::read_write);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  journal_actor journal;
  explicit OneJournal(std::uint64_t snapshot_every) : journal(start(sys, log, snapshot_every)) {}
  ~OneJournal() { anon_send_exit(journal, caf::exit_reason::user_shutdown); }
};

}  // namespace

TEST_CASE("journal on PostgreSQL: concurrent appenders all acknowledged, gapless, durable, snapshot equals recovery") {
  OneJournal one(200);
  const std::string& dsn = one.dsn;
  caf::actor_system& sys = one.sys;
  const journal_actor& journal = one.journal;
  std::mutex mutex;
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> acks;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        EventBatch batch;
        std::vector<std::string> ids;
        for (int k = 0; k <= i % 3; ++k) {
          ids.push_back("t" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(k));
          batch.push_back(created("acct", ids.back()));
        }
        auto r = append_sync(sys, journal, std::move(batch));
        std::lock_guard lock(mutex);
        if (!r.error.empty()) errors.push_back(r.error);
        else acks.emplace_back(r.last_seq, std::move(ids));
      }
    });
  for (auto& t : threads) t.join();
  CHECK(errors.empty());
  const std::uint64_t expected = 4 * (33 * (1 + 2 + 3) + 1);

  // Every acknowledged batch is in the log at the seqs its ack names, in its order.
  auto reader = PostgresEventLog::open(test::postgres_node(dsn, "r"), OpenMode::read_only);
  CHECK(reader->last_seq() == expected);
  std::map<std::uint64_t, std::string> id_at;
  std::uint64_t next = 1;
  reader->scan({}, [&](const EventRow& row) {
    CHECK(row.seq == next++);
    CHECK(row.node == "a");
    id_at[row.seq] = std::get<ReservationCreated>(decode_row(row, nullptr).payload).id;
    return true;
  });
  for (const auto& [last, ids] : acks)
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(id_at[last - ids.size() + 1 + i] == ids[i]);

  const std::uint64_t snap = ask(sys, journal, snapshot_atom::value);
  CHECK(snap == expected);
  auto recovered = recover(*reader);
  CHECK(recovered.snapshot_seq == expected);
  CHECK(recovered.events_replayed == 0);
  CHECK(recovered.state.accounts.at("acct").counters.created == static_cast<std::int64_t>(expected));
  CHECK(test::verify_postgres_log(dsn).first == 0);
}

TEST_CASE("two journals of two nodes on one database: each snapshot is the fold of the whole log") {
  const std::string dsn = test::shared_postgres().create_database();
  std::shared_ptr<EventLog> log_a = PostgresEventLog::open(test::postgres_node(dsn, "a"), OpenMode::read_write);
  std::shared_ptr<EventLog> log_b = PostgresEventLog::open(test::postgres_node(dsn, "b"), OpenMode::read_write);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto a = start(sys, log_a, 0);
  auto b = start(sys, log_b, 0);
  auto writer = [&](const journal_actor& j, const std::string& account) {
    for (int i = 0; i < 120; ++i)
      CHECK(append_sync(sys, j, {created(account, account + "-" + std::to_string(i))}).error.empty());
  };
  std::thread ta(writer, a, "acct-a"), tb(writer, b, "acct-b");
  ta.join();
  tb.join();
  // Each journal's state holds the other's events too: a snapshot from either is whole. The
  // next append makes each catch up to the end (one of them finished first).
  CHECK(append_sync(sys, a, {created("acct-a", "last-a")}).last_seq == 241);
  CHECK(ask(sys, a, snapshot_atom::value) == 241);
  CHECK(append_sync(sys, b, {created("acct-b", "last-b")}).last_seq == 242);
  CHECK(ask(sys, b, snapshot_atom::value) == 242);
  auto [rc, text] = test::verify_postgres_log(dsn);
  CHECK_MESSAGE(rc == 0, text);
  CHECK(text.find("verify: ok - 242 events, 242 reservations") != std::string::npos);
  auto snaps = log_a->snapshots();
  REQUIRE(snaps.size() == 2);
  auto state = decode_state(snaps.back().data, nullptr);  // a's, at 241
  REQUIRE(state);
  CHECK(state->last_seq == 241);
  CHECK(state->accounts.at("acct-a").counters.created == 121);
  CHECK(state->accounts.at("acct-b").counters.created == 120);

  anon_send_exit(a, caf::exit_reason::user_shutdown);
  anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("journal on PostgreSQL: the database stops, appends are held, written in order when it is back") {
  test::TempDir dir("qg-pg-outage");
  auto server = test::PostgresServer::start(dir.path() / "server");  // its own: this test stops it
  const std::string dsn = server->create_database();
  std::shared_ptr<EventLog> log = PostgresEventLog::open(test::postgres_node(dsn, "a"), OpenMode::read_write);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto health = std::make_shared<JournalHealth>();
  auto journal = start(sys, log, 0, health, 20);
  CHECK(append_sync(sys, journal, {created("acct", "before")}).last_seq == 1);

  server->halt();
  const auto failed = append_sync(sys, journal, {created("acct", "during-1"), created("acct", "during-2")});
  CHECK(failed.last_seq == 0);
  CHECK(failed.error.rfind("storage.postgres: postgresql://qg_test@127.0.0.1:", 0) == 0);
  CHECK_FALSE(health->ok());
  CHECK(append_sync(sys, journal, {created("acct", "during-3")}).last_seq == 0);
  CHECK(health->held() == 3);

  server->resume();
  while (!health->ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the retry timer
  CHECK(append_sync(sys, journal, {created("acct", "after")}).last_seq == 5);
  std::vector<std::string> ids;
  log->scan({}, [&](const EventRow& row) {
    ids.push_back(std::get<ReservationCreated>(decode_row(row, nullptr).payload).id);
    return true;
  });
  CHECK(ids == std::vector<std::string>{"before", "during-1", "during-2", "during-3", "after"});
  anon_send_exit(journal, caf::exit_reason::user_shutdown);
}

TEST_CASE("journal on PostgreSQL: alone on the log it commits on the fast path, after another writer's append one commit reads its rows without the lock") {
  OneJournal one(0);
  caf::actor_system& sys = one.sys;
  const journal_actor& journal = one.journal;
  auto& commits = metrics::journal_shared_commits_total();
  auto count = [&](const char* path) { return commits.with({path}).value(); };
  const std::uint64_t fast_before = count("fast"), reread_before = count("reread"), locked_before = count("locked");
  for (int i = 1; i <= 20; ++i)
    CHECK(append_sync(sys, journal, {created("acct", "r" + std::to_string(i))}).last_seq == static_cast<std::uint64_t>(i));
  CHECK(count("fast") - fast_before == 20);  // one statement each: the head was where the journal left it
  CHECK(count("reread") == reread_before);
  // Another node appends 2001 events (seqs 21-2021: more than the 2000 rows the failed
  // attempt returns, so a second page is read): the journal's next commit finds the head
  // moved, folds them, and appends after them checked from seq 2021; the one after is fast.
  auto other = PostgresEventLog::open(test::postgres_node(one.dsn, "b"), OpenMode::read_write);
  std::vector<Event> theirs;
  for (int i = 0; i < 2001; ++i) theirs.push_back(created("acct", "theirs-" + std::to_string(i)));
  CHECK(other->append(theirs) == 2021);
  CHECK(append_sync(sys, journal, {created("acct", "r2022")}).last_seq == 2022);
  CHECK(count("reread") - reread_before == 1);
  CHECK(append_sync(sys, journal, {created("acct", "r2023")}).last_seq == 2023);
  CHECK(count("fast") - fast_before == 21);
  CHECK(count("locked") == locked_before);  // nobody else appended: never the lock
  CHECK(ask(sys, journal, snapshot_atom::value) == 2023);
  const auto state = decode_state(one.log->snapshots().front().data, nullptr);
  REQUIRE(state);
  CHECK(state->accounts.at("acct").counters.created == 2023);  // the other node's events folded once
  const auto [rc, text] = test::verify_postgres_log(one.dsn);
  CHECK_MESSAGE(rc == 0, text);
}
