// tests/postgres/postgres_append_after_test.cpp — the shared log's commit (EventLog::append_after
// on PostgreSQL, docs/EVENT_LOG.md §7.3) when the head has moved: the other nodes' rows are
// read and folded without a lock, and the append that follows is checked against the head
// again, so another node's append landing between that read and the append is folded and
// decided on, never overlooked. Deterministic: the "other node" appends from inside `fold`,
// i.e. exactly between a read and the next attempt.
#include "persistence/postgres_event_log.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace qg;

namespace {

// Two nodes on one fresh database; `ours` commits through append_after, `theirs` appends.
struct TwoNodes {
  std::string dsn = test::shared_postgres().create_database();
  std::unique_ptr<PostgresEventLog> ours = PostgresEventLog::open(test::postgres_node(dsn, "a"), OpenMode::read_write);
  std::unique_ptr<PostgresEventLog> theirs = PostgresEventLog::open(test::postgres_node(dsn, "b"), OpenMode::read_write);

  void their_append(const std::string& account, const std::string& what) {
    std::vector<Event> e{Event{0, 1000, account, CooldownEnded{what}}};
    theirs->append(e);
  }
  std::vector<std::string> rows() {  // "seq node account"
    std::vector<std::string> out;
    ours->scan({}, [&](const EventRow& r) {
      out.push_back(std::to_string(r.seq) + " " + std::string(r.node) + " " + std::string(r.account));
      return true;
    });
    return out;
  }
};

}  // namespace

TEST_CASE("append_after: an append by another node between the unlocked read and the next attempt is folded, and the headroom it spent is not spent again") {
  TwoNodes n;
  n.their_append("other", "x");  // seq 1: our first attempt (known 0) finds the head moved
  // Our node admits on acct only while it has seen no event of another node on it (its
  // headroom): `choose` is the journal's decide in miniature.
  bool acct_spent = false;
  Event mine{0, 1001, "acct", CooldownEnded{"ours"}};
  int chose = 0, folds = 0;
  std::vector<std::uint64_t> folded;
  const AppendAfterResult r = n.ours->append_after(
      0,
      [&](const EventRow& row) {
        folded.push_back(row.seq);
        if (std::string(row.account) == "acct") acct_spent = true;
        // While we fold seq 1 (after our read, before our next attempt) the other node spends
        // acct's headroom (seq 2).
        if (folds++ == 0) n.their_append("acct", "spent");
      },
      [&]() -> std::vector<Event*> {
        ++chose;
        if (acct_spent) return {};
        return {&mine};
      });
  // The attempt from 0 read seq 1; the attempt from 1 found seq 2, which spent the headroom:
  // nothing of ours is written. An unchecked append after the read would have written ours at 3.
  CHECK(folded == std::vector<std::uint64_t>{1, 2});
  CHECK(chose == 3);
  CHECK(r.path == AppendPath::conflicts);
  CHECK(r.last_seq == 2);
  CHECK(n.rows() == std::vector<std::string>{"1 b other", "2 b acct"});
  CHECK(n.ours->last_seq() == 2);
}

TEST_CASE("append_after: after a read without a lock the append is checked from the last folded seq and commits when nobody appended since") {
  TwoNodes n;
  n.their_append("acct", "1");
  n.their_append("acct", "2");
  Event mine{0, 1001, "acct", CooldownEnded{"ours"}};
  std::vector<std::uint64_t> folded;
  int chose = 0;
  const AppendAfterResult r = n.ours->append_after(
      0, [&](const EventRow& row) { folded.push_back(row.seq); },
      [&]() -> std::vector<Event*> {
        ++chose;
        return {&mine};
      });
  CHECK(folded == std::vector<std::uint64_t>{1, 2});
  CHECK(chose == 2);
  CHECK(r.path == AppendPath::reread);
  CHECK(r.last_seq == 3);
  CHECK(mine.seq == 3);
  CHECK(mine.node == "a");
  CHECK(n.rows() == std::vector<std::string>{"1 b acct", "2 b acct", "3 a acct"});
  // Nobody appended since: the next commit is one statement.
  Event next{0, 1002, "acct", CooldownEnded{"next"}};
  const AppendAfterResult fast =
      n.ours->append_after(3, [&](const EventRow&) { FAIL("nothing to fold"); }, [&] { return std::vector<Event*>{&next}; });
  CHECK(fast.path == AppendPath::fast);
  CHECK(fast.last_seq == 4);
}

TEST_CASE("append_after: a head that moves before every checked attempt sends the commit to the lock, which folds the rest and appends") {
  TwoNodes n;
  n.their_append("other", "0");  // seq 1
  // The other node appends again while we fold each of its rows, 8 times (the checked
  // attempts, kGuardedAttempts in postgres_event_log.cpp): every attempt finds the head moved.
  // Under the lock nobody can append (an append from `fold` then would wait for our COMMIT:
  // none is made).
  constexpr int kGuardedAttempts = 8;
  int theirs = 0;
  bool locked_fold = false;
  std::vector<std::uint64_t> folded;
  Event mine{0, 1001, "acct", CooldownEnded{"ours"}};
  const AppendAfterResult r = n.ours->append_after(
      0,
      [&](const EventRow& row) {
        folded.push_back(row.seq);
        if (theirs < kGuardedAttempts) n.their_append("other", std::to_string(++theirs));
        else locked_fold = true;
      },
      [&] { return std::vector<Event*>{&mine}; });
  CHECK(r.path == AppendPath::locked);
  CHECK(locked_fold);
  CHECK(folded == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(r.last_seq == 10);
  CHECK(mine.seq == 10);
  CHECK(n.rows().back() == "10 a acct");
}

TEST_CASE("append_after: a batch whose appends all conflict already sends no statement, even with the head moved") {
  TwoNodes n;
  n.their_append("acct", "1");  // the head moved: a statement would read it
  int chose = 0;
  const AppendAfterResult r = n.ours->append_after(
      0, [&](const EventRow&) { FAIL("nothing is read"); },
      [&] {
        ++chose;
        return std::vector<Event*>{};
      });
  CHECK(chose == 1);
  CHECK(r.path == AppendPath::conflicts);
  CHECK(r.last_seq == 0);
  CHECK(n.ours->last_seq() == 1);
}
