// tests/postgres/cluster_flush_test.cpp — an account actor's flush on a shared log is a
// barrier for its conflicted appends too (docs/EVENT_LOG.md §3 "a clean stop ... waits until
// every resolution sent before them is in the log", §7.3 conflicts).
//
// A proxied request's commit is appended lazily. On a shared log the commit that finally takes
// it may find the account moved by another node: the append conflicts and the actor sends the
// re-validated commit again, after the journal answered. A flush that returned as soon as the
// journal's flush did left that retry unwritten, and a clean stop then lost it (the three-node
// e2e test saw a 200 whose reservation was never committed). Here the journal is the real one
// on a real PostgreSQL log; another node's event is written just before each of its next
// commits, so the conflicts happen on every run, not only under load.
#include "actors/account/account_actor.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/recovery.hpp"
#include "tests/postgres/log_fixtures.hpp"
#include "tests/support/postgres_server.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <map>

using namespace qg;

namespace {

constexpr TimeMs kNow = 1'790'000'000'000;

// The log as node "a" sees it, except that before each of the next `interfere` commits node
// "b" writes an event of `account` that every later append of it conflicts with.
class InterferedLog : public EventLog {
 public:
  InterferedLog(std::shared_ptr<EventLog> inner, std::shared_ptr<EventLog> other, std::string account)
      : inner_(std::move(inner)), other_(std::move(other)), account_(std::move(account)) {}
  std::atomic<int> interfere{0};
  std::atomic<int> commits{0};

  using EventLog::append;
  std::string describe() const override { return inner_->describe(); }
  bool read_only() const override { return inner_->read_only(); }
  std::uint64_t last_seq() override { return inner_->last_seq(); }
  std::uint64_t append(const std::vector<Event*>& events) override { return inner_->append(events); }
  bool shared() const override { return inner_->shared(); }
  AppendAfterResult append_after(std::uint64_t known, const std::function<void(const EventRow&)>& fold,
                             const std::function<std::vector<Event*>()>& choose) override {
    ++commits;
    if (interfere > 0) {
      --interfere;
      // An event of a type this build does not know: nothing of ours is written past it
      // (quota/shared_append.hpp), so the commit conflicts.
      std::vector<Event> foreign{Event{0, kNow, account_, UnknownEvent{"ProviderNote", "{}"}}};
      other_->append(foreign);
    }
    return inner_->append_after(known, fold, choose);
  }
  void scan(const ScanRange& range, const std::function<bool(const EventRow&)>& fn) override { inner_->scan(range, fn); }
  void write_snapshot(std::uint64_t seq, TimeMs ts, int version, std::string_view data, int keep) override {
    inner_->write_snapshot(seq, ts, version, data, keep);
  }
  std::vector<SnapshotRow> snapshots() override { return inner_->snapshots(); }

 protected:
  std::optional<std::pair<std::uint64_t, TimeMs>> first_at_or_after_seq(std::uint64_t) override { return std::nullopt; }

 private:
  std::shared_ptr<EventLog> inner_, other_;
  std::string account_;
};

// How often each event type of `account` is in the log, for reservation `id`'s resolutions.
std::map<std::string, int> resolutions_of(const std::string& dsn, const std::string& id) {
  auto log = PostgresEventLog::open(test::postgres_node(dsn, "reader"), OpenMode::read_only);
  std::map<std::string, int> out;
  log->scan({}, [&](const EventRow& row) {
    const Event e = decode_row(row, nullptr);
    if (const auto* c = std::get_if<ReservationCommitted>(&e.payload); c && c->id == id) ++out["committed"];
    if (const auto* c = std::get_if<ReservationReleased>(&e.payload); c && c->id == id) ++out["released"];
    if (const auto* c = std::get_if<ReservationExpired>(&e.payload); c && c->id == id) ++out["expired"];
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("cluster flush: a lazy commit that conflicts at the flush is retried and written before the account's flush returns") {
  const std::string dsn = test::shared_postgres().create_database();
  auto log = std::make_shared<InterferedLog>(PostgresEventLog::open(test::postgres_node(dsn, "a"), OpenMode::read_write),
                                             PostgresEventLog::open(test::postgres_node(dsn, "b"), OpenMode::read_write), "acct");
  {
    AccountSpec spec;
    spec.provider = "openai";
    spec.limits = {{Metric::requests, 86'400, 100}};
    std::vector<Event> registered{Event{0, kNow, "acct", AccountRegistered{spec}}};
    log->append(registered);
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  JournalOptions jo;
  jo.log = log;
  jo.state = recover(*log).state;
  const AccountState acct = jo.state.accounts.at("acct");
  jo.lazy_ms = 600'000;  // a lazy append is written by the next commit another append starts, never by the timer
  auto journal = spawn_journal(sys, std::move(jo));

  AccountActorOptions ao;
  ao.journal = journal;
  ao.clock = [] { return kNow; };
  ao.node = "a";
  ao.tick_interval_ms = 600'000;
  auto account = spawn_account(sys, acct, ao);
  struct Stop {  // the actors end with the case, a failed REQUIRE included (the system waits for them)
    account_actor a;
    journal_actor j;
    ~Stop() {
      anon_send_exit(a, caf::exit_reason::user_shutdown);
      anon_send_exit(j, caf::exit_reason::user_shutdown);
    }
  } stop{account, journal};

  caf::scoped_actor self{sys};
  ReserveCommand cmd;
  cmd.model = "m";
  cmd.estimate = Usage{1, 10, 10};
  cmd.ttl_ms = 600'000;
  std::string reservation;
  self->request(account, caf::infinite, reserve_atom::value, cmd)
      .receive([&](const ReserveReply& r) { reservation = r.reservation_id; }, [](const caf::error&) {});
  REQUIRE_FALSE(reservation.empty());

  // The request's commit, sent without waiting (as the proxy does), then the flush a clean stop
  // (and GET /api/v1/events) waits for. Node b writes the account before each of the next two
  // commits: the commit conflicts at the flush, and its retry conflicts again.
  log->interfere = 2;
  const int commits_before = log->commits;
  caf::anon_send(account, settle_atom::value,
                 Settlement{ReservationCommitted{reservation, Usage{1, 10, 5}, false}, std::nullopt,
                            std::make_shared<const LiveReservation>(reservation)});
  self->request(account, caf::infinite, flush_atom::value).receive([](std::uint64_t) {}, [](const caf::error&) {});

  CHECK(log->interfere == 0);  // both conflicts happened
  CHECK(log->commits - commits_before == 3);
  CHECK(resolutions_of(dsn, reservation) == std::map<std::string, int>{{"committed", 1}});
}
