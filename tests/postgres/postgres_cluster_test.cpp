// tests/postgres/postgres_cluster_test.cpp — several nodes (two real Cores: journal, account
// actors, router) on one PostgreSQL log (issue 19 items 2 and 3):
//   - no overspend: concurrent reservations on both nodes against a small limit admit exactly
//     the limit in total (optimistic concurrency per account, docs/EVENT_LOG.md §7.3);
//   - following: a node sees another node's reservations, commits and expiries in its account
//     state, each exactly once;
//   - exactly-once expiry: two nodes that both try to expire the same reservations write one
//     ReservationExpired each, whichever node wins;
//   - the journal's version check itself, deterministically: two journals append the same
//     resolution against the same version, the second is answered with a conflict and the
//     account's current state; and concurrently, through every commit path (the one-statement
//     fast path; when the head moved, the others' rows read without a lock and the append
//     checked again, or the locked fallback): no conflict missed.
#include "actors/control/core.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/recovery.hpp"
#include "persistence/replay.hpp"
#include "quota/account_state.hpp"
#include "tests/postgres/cluster_nodes.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace qg;

namespace {

struct Node : test::ClusterNode {
  Node(const std::string& dsn, const std::string& id, std::int64_t limit)
      : test::ClusterNode(test::node_config(dsn, id, limit)) {}
};

using test::reserve;

StorageConfig storage_of(const std::string& dsn) {
  StorageConfig s;
  s.backend = StorageBackend::postgres;
  s.postgres.dsn = dsn;
  s.postgres.node_id = "verify";
  return s;
}


// Events per type in the whole log, and per reservation id how often each resolution appears.
struct LogCounts {
  std::map<std::string, int> by_type;
  std::map<std::string, int> resolutions;  // id -> committed + released + expired events
  std::map<std::string, int> expiries;     // id -> ReservationExpired events
};

LogCounts count_log(const std::string& dsn) {
  auto log = PostgresEventLog::open(storage_of(dsn).postgres, OpenMode::read_only);
  LogCounts c;
  log->scan({}, [&](const EventRow& row) {
    ++c.by_type[std::string(row.type)];
    const Event e = decode_row(row, nullptr);
    if (const auto* x = std::get_if<ReservationCommitted>(&e.payload)) ++c.resolutions[x->id];
    if (const auto* x = std::get_if<ReservationReleased>(&e.payload)) ++c.resolutions[x->id];
    if (const auto* x = std::get_if<ReservationExpired>(&e.payload)) {
      ++c.resolutions[x->id];
      ++c.expiries[x->id];
    }
    return true;
  });
  return c;
}

template <class Pred>
bool eventually(Core& core, Pred pred, int tries = 1000) {
  return test::eventually(core, "acct", pred, tries);
}

}  // namespace

TEST_CASE("cluster: two nodes reserving concurrently against one small limit admit exactly the limit") {
  const std::string dsn = test::shared_postgres().create_database();
  constexpr std::int64_t kLimit = 40;
  Node a(dsn, "a", kLimit), b(dsn, "b", kLimit);
  std::atomic<int> granted{0}, refused{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      Core& core = t % 2 == 0 ? *a.core : *b.core;
      for (int i = 0; i < 30; ++i) {
        const RouteGrant g = reserve(core);
        if (g.ok) ++granted;
        else if (g.http_status == 429) ++refused;
        else ++failed;
      }
    });
  for (auto& c : clients) c.join();
  CHECK(failed.load() == 0);
  CHECK(granted.load() == kLimit);  // never more: the other node's reservations count
  CHECK(refused.load() == 8 * 30 - kLimit);
  a.core->wait_for_log();
  b.core->wait_for_log();
  LogCounts log = count_log(dsn);
  CHECK(log.by_type["ReservationCreated"] == kLimit);
  const auto [rc, text] = test::verify_postgres_log(dsn);
  CHECK_MESSAGE(rc == 0, text);
}

TEST_CASE("cluster: a node follows another node's reservations and commits, each applied once") {
  const std::string dsn = test::shared_postgres().create_database();
  Node a(dsn, "a", 1000), b(dsn, "b", 1000);
  std::vector<RouteGrant> grants;
  for (int i = 0; i < 5; ++i) grants.push_back(reserve(*a.core));
  for (const auto& g : grants) REQUIRE(g.ok);
  CHECK(eventually(*b.core, [](const AccountState& s) {
    return s.counters.created == 5 && s.reservations.size() == 5;
  }));
  for (int i = 0; i < 3; ++i)
    CHECK(a.core->propose("acct", ReservationCommitted{grants[i].reservation_id, Usage{1, 7, 5}, false}).ok);
  CHECK(eventually(*b.core, [](const AccountState& s) {
    return s.counters.committed == 3 && s.reservations.size() == 2;
  }));
  // b's own traffic is seen by a, and b's state counts a's events once (no double apply).
  REQUIRE(reserve(*b.core).ok);
  CHECK(eventually(*a.core, [](const AccountState& s) { return s.counters.created == 6; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto sa = a.core->account_state("acct");
  const auto sb = b.core->account_state("acct");
  REQUIRE(sa);
  REQUIRE(sb);
  CHECK(sa->counters == sb->counters);
  CHECK(sa->reservations.size() == 3);
  CHECK(sb->reservations.size() == 3);
}

TEST_CASE("cluster: reservations expired by two nodes that both sweep get one ReservationExpired each") {
  const std::string dsn = test::shared_postgres().create_database();
  Node a(dsn, "a", 1000), b(dsn, "b", 1000);
  constexpr int kReservations = 30;
  for (int i = 0; i < kReservations; ++i) REQUIRE(reserve(i % 2 ? *a.core : *b.core, 300).ok);
  // Both nodes sweep every second and know every reservation; the duty holder sweeps at the
  // TTL, the other 10 s later (whichever writes an expiry, it is written once).
  CHECK(eventually(*a.core, [](const AccountState& s) { return s.counters.expired == kReservations; }, 2500));
  CHECK(eventually(*b.core, [](const AccountState& s) { return s.counters.expired == kReservations; }, 2500));
  a.core->wait_for_log();
  b.core->wait_for_log();
  LogCounts log = count_log(dsn);
  CHECK(log.by_type["ReservationExpired"] == kReservations);
  CHECK(log.expiries.size() == static_cast<std::size_t>(kReservations));
  for (const auto& [id, n] : log.resolutions) CHECK_MESSAGE(n == 1, id);
  const auto [rc, text] = test::verify_postgres_log(dsn);
  CHECK_MESSAGE(rc == 0, text);
}

namespace {

journal_actor start_journal(caf::actor_system& sys, const std::string& dsn, const std::string& node) {
  PostgresConfig c;
  c.dsn = dsn;
  c.node_id = node;
  std::shared_ptr<EventLog> log = PostgresEventLog::open(c, OpenMode::read_write);
  JournalOptions o;
  o.log = log;
  o.state = recover(*log).state;
  return spawn_journal(sys, std::move(o));
}

Event at(const std::string& account, EventPayload payload) { return Event{0, 1'790'000'000'000, account, std::move(payload)}; }

ReservationCreated reservation(const std::string& id) {
  ReservationCreated r;
  r.id = id;
  r.model = "m";
  r.estimate = Usage{1, 2, 3};
  r.expires_at = 1'790'000'600'000;
  return r;
}

// Sends the appends together (one group commit) and waits for every answer, in order.
std::vector<AppendResult> append_together(caf::actor_system& sys, const journal_actor& j,
                                          std::vector<std::pair<Event, AppendCondition>> appends) {
  caf::scoped_actor self{sys};
  std::vector<AppendResult> out(appends.size());
  using Handle = decltype(self->request(j, caf::infinite, append_atom::value, EventBatch{}, AppendCondition{}));
  std::vector<Handle> sent;
  for (auto& [event, condition] : appends)
    sent.push_back(self->request(j, caf::infinite, append_atom::value, EventBatch{event}, condition));
  for (std::size_t i = 0; i < sent.size(); ++i)
    sent[i].receive([&](const AppendResult& r) { out[i] = r; }, [&](const caf::error& e) { out[i].error = to_string(e); });
  return out;
}

}  // namespace

TEST_CASE("cluster journal: an append validated against an older version of its account is left out, the rest of the batch commits") {
  const std::string dsn = test::shared_postgres().create_database();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto a = start_journal(sys, dsn, "a");
  auto b = start_journal(sys, dsn, "b");
  // a: r1 on acct (seq 1). b, having seen seq 1, expires it (seq 2).
  auto r = append_together(sys, a, {{at("acct", reservation("r1")), AppendCondition{"acct", 0, 0}}});
  REQUIRE(r[0].error.empty());
  CHECK(r[0].last_seq == 1);
  r = append_together(sys, b, {{at("acct", ReservationExpired{"r1"}), AppendCondition{"acct", 1, 0}}});
  REQUIRE(r[0].error.empty());
  CHECK_FALSE(r[0].conflict);
  CHECK(r[0].last_seq == 2);
  // a, still at the version before b's expiry, expires it too, and in the same commit
  // reserves on another account: the expiry conflicts, the reservation commits.
  r = append_together(sys, a, {{at("acct", ReservationExpired{"r1"}), AppendCondition{"acct", 0, 0}},
                               {at("other", reservation("r2")), AppendCondition{"other", 0, 0}}});
  REQUIRE(r.size() == 2);
  CHECK(r[0].conflict);
  CHECK(r[0].epoch == 1);
  CHECK(r[0].known_seq == 2);
  REQUIRE(r[0].current);
  CHECK(r[0].current->reservations.empty());
  CHECK(r[0].current->counters.expired == 1);
  CHECK_FALSE(r[1].conflict);
  CHECK(r[1].error.empty());
  CHECK(r[1].last_seq == 3);
  // The epoch is over for appends validated before the conflict's answer; the next one,
  // validated against `current`, commits.
  r = append_together(sys, a, {{at("acct", reservation("r3")), AppendCondition{"acct", 2, 0}}});
  CHECK(r[0].conflict);
  CHECK_FALSE(r[0].current);
  r = append_together(sys, a, {{at("acct", reservation("r3")), AppendCondition{"acct", 2, 1}}});
  CHECK_FALSE(r[0].conflict);
  CHECK(r[0].last_seq == 4);
  LogCounts log = count_log(dsn);
  CHECK(log.by_type["ReservationExpired"] == 1);
  CHECK(log.by_type["ReservationCreated"] == 3);
  anon_send_exit(a, caf::exit_reason::user_shutdown);
  anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("cluster journal: a reservation event other nodes' events overtook is validated again on the log's account: written past them, refused past spent headroom") {
  // Before this rule (docs/EVENT_LOG.md §7.3) any event of another node after the append's
  // known_seq made it conflict: the steps marked "was: conflict" failed.
  const std::string dsn = test::shared_postgres().create_database();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto a = start_journal(sys, dsn, "a");
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 3600, 3}};
  auto r = append_together(sys, a, {{at("acct", AccountRegistered{spec}), AppendCondition{"acct", 0, 0}},
                                    {at("acct", reservation("r1")), AppendCondition{"acct", 0, 0}}});
  REQUIRE(r[1].last_seq == 2);
  auto b = start_journal(sys, dsn, "b");  // b's view: seqs 1-2
  r = append_together(sys, b, {{at("acct", reservation("b1")), AppendCondition{"acct", 2, 0}},
                               {at("acct", ReservationCommitted{"b1", Usage{1, 2, 3}}), AppendCondition{"acct", 2, 0}}});
  CHECK(r[1].last_seq == 4);
  // a, which saw nothing of b (known_seq 0), commits r1: b's reservation and commit overtook
  // it, neither resolved r1 — written after them (was: conflict), answered with the log's
  // account up to it, in the log's order.
  r = append_together(sys, a, {{at("acct", ReservationCommitted{"r1", Usage{1, 2, 3}}), AppendCondition{"acct", 0, 0}}});
  REQUIRE(r[0].error.empty());
  CHECK_FALSE(r[0].conflict);
  CHECK(r[0].reordered);
  CHECK(r[0].last_seq == 5);
  CHECK(r[0].known_seq == 4);
  REQUIRE(r[0].current);
  CHECK(r[0].current->counters.committed == 2);
  CHECK(r[0].current->reservations.empty());
  CHECK(r[0].current->windows.at(0).used == 2);
  // b, at seq 2 still, reserves b2: r1's commit overtook it; 2 used + 1 fits the limit of 3:
  // written (was: conflict).
  r = append_together(sys, b, {{at("acct", reservation("b2")), AppendCondition{"acct", 2, 0}}});
  CHECK_FALSE(r[0].conflict);
  CHECK(r[0].reordered);
  CHECK(r[0].last_seq == 6);
  // a, at seq 4, reserves r2: b2 spent the last of the headroom — a conflict, as before.
  r = append_together(sys, a, {{at("acct", reservation("r2")), AppendCondition{"acct", 4, 0}}});
  CHECK(r[0].conflict);
  CHECK(r[0].epoch == 1);
  CHECK(r[0].known_seq == 6);
  REQUIRE(r[0].current);
  CHECK(r[0].current->reservations.count("b2") == 1);
  // b expires r1, which a committed after b's view: not open in the log's account — a conflict.
  r = append_together(sys, b, {{at("acct", ReservationExpired{"r1"}), AppendCondition{"acct", 2, 0}}});
  CHECK(r[0].conflict);
  LogCounts log = count_log(dsn);
  CHECK(log.by_type["ReservationCreated"] == 3);
  CHECK(log.by_type["ReservationCommitted"] == 2);
  CHECK(log.by_type["ReservationExpired"] == 0);
  const auto [rc, text] = test::verify_postgres_log(dsn);
  CHECK_MESSAGE(rc == 0, text);
  anon_send_exit(a, caf::exit_reason::user_shutdown);
  anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("cluster journal: two journals appending concurrently for one account miss no conflict, whichever commit path each takes") {
  // Neither journal follows the other, so each learns of the other's events only inside its
  // commits: on the fast path (one statement, only if nobody appended since its state's last
  // seq) or, when the head moved, after reading the other's rows (fold, decide again, the
  // append checked from there; the lock after repeated misses). Every append to a
  // round's account is validated against no event of the other node (known_seq 0, epoch 0),
  // as two nodes that both saw the same headroom. Odd rounds append threshold crossings,
  // which are never written past another node's events: once one node's append committed,
  // every append of the other node must conflict, so the account's events are all one node's.
  // Even rounds reserve on an account with a limit of kLimit requests, validated again on the
  // log's account when the other node's events overtook them: exactly kLimit are written,
  // whichever nodes write them. An unconditional write next to them (each node's own account)
  // keeps the batches non-empty.
  const std::string dsn = test::shared_postgres().create_database();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  const journal_actor journals[] = {start_journal(sys, dsn, "a"), start_journal(sys, dsn, "b")};
  auto& shared_commits = metrics::journal_shared_commits_total();
  auto slow = [&] {  // commits that found the head moved, whichever way they went on
    return shared_commits.with({"reread"}).value() + shared_commits.with({"conflicts"}).value() +
           shared_commits.with({"locked"}).value();
  };
  const std::uint64_t fast_before = shared_commits.with({"fast"}).value(), slow_before = slow();
  constexpr int kRounds = 12, kThreadsPerNode = 2, kAppends = 5, kLimit = 7;
  std::map<std::string, int> acknowledged;  // "account node" -> appends answered written
  std::mutex mutex;
  AccountSpec limited;
  limited.provider = "openai";
  limited.limits = {{Metric::requests, 3600, kLimit}};
  for (int round = 0; round < kRounds; ++round) {
    const std::string account = "acct-" + std::to_string(round);
    const bool reserving = round % 2 == 0;
    if (reserving) {  // registered by a third writer: both nodes' appends are validated without it
      auto log = PostgresEventLog::open(test::postgres_node(dsn, "c"), OpenMode::read_write);
      std::vector<Event> reg{at(account, AccountRegistered{limited})};
      log->append(reg);
    }
    std::vector<std::thread> threads;
    for (int n = 0; n < 2; ++n)
      for (int t = 0; t < kThreadsPerNode; ++t)
        threads.emplace_back([&, n, t] {
          const std::string node = n == 0 ? "a" : "b";
          for (int i = 0; i < kAppends; ++i) {
            const std::string id = node + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i);
            const Event event = reserving ? at(account, reservation(id))
                                          : at(account, ThresholdCrossed{"warning", Metric::requests, 60, 80});
            const auto r = append_together(sys, journals[n],
                {{event, AppendCondition{account, 0, 0}},
                 {at("own-" + node, reservation("own-" + id)), AppendCondition{"own-" + node, 0, 0}}});
            std::lock_guard lock(mutex);
            REQUIRE(r.size() == 2);
            CHECK(r[0].error.empty());
            CHECK(r[1].error.empty());
            CHECK_FALSE(r[1].conflict);
            if (!r[0].conflict) ++acknowledged[account + " " + node];
          }
        });
    for (auto& t : threads) t.join();
  }
  std::map<std::string, std::set<std::string>> writers;  // account -> nodes in the log
  std::map<std::string, int> rows;                        // "account node" -> round accounts' events
  std::map<std::string, int> own;                         // the same for the own accounts
  auto log = PostgresEventLog::open(storage_of(dsn).postgres, OpenMode::read_only);
  std::map<std::string, int> created;                     // account -> ReservationCreated
  log->scan({}, [&](const EventRow& row) {
    if (std::string(row.node) == "c") return true;  // the registrations
    const std::string account(row.account), key = account + " " + std::string(row.node);
    writers[account].insert(std::string(row.node));
    ++(account.rfind("own-", 0) == 0 ? own : rows)[key];
    if (std::string(row.type) == "ReservationCreated") ++created[account];
    return true;
  });
  for (int round = 0; round < kRounds; ++round) {
    const std::string account = "acct-" + std::to_string(round);
    if (round % 2 == 0) CHECK_MESSAGE(created[account] == kLimit, account);  // never more: no headroom spent twice
    else CHECK_MESSAGE(writers[account].size() == 1, account);  // never both: no conflict missed
  }
  CHECK(rows == acknowledged);  // every append answered written is in the log, no other
  CHECK(own == std::map<std::string, int>{{"own-a a", kRounds * kThreadsPerNode * kAppends},
                                          {"own-b b", kRounds * kThreadsPerNode * kAppends}});
  // Both kinds ran: the first commit found the head where it started, and a journal found it
  // moved by the other (then read the other's rows and decided again).
  CHECK(shared_commits.with({"fast"}).value() > fast_before);
  CHECK(slow() > slow_before);
  const auto [rc, text] = test::verify_postgres_log(dsn);
  CHECK_MESSAGE(rc == 0, text);
  for (const auto& j : journals) anon_send_exit(j, caf::exit_reason::user_shutdown);
}
