// tests/control/durable_answer_test.cpp — an admitted reservation's answer reaches the waiting
// HTTP worker from the journal, right after the commit that made the ReservationCreated durable,
// without the account actor running again (messages/account_protocol.hpp ReserveAnswer,
// messages/journal_protocol.hpp DurableNotice; docs/PERFORMANCE.md issue 17 sixth pass).
//
// Real account actor, real journal, real SQLite file. The actor system has one scheduler
// worker; right behind the reserve message another actor takes that worker and holds it until
// the test lets go. Answered through the account's mailbox (as before), the admission could not
// arrive while the worker is held; from the journal it does, and the reservation is then in the
// log for another connection to read (acknowledged => durable, docs/EVENT_LOG.md §3).
#include "actors/account/account_actor.hpp"
#include "persistence/database.hpp"
#include "persistence/event_store.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/recovery.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <future>

using namespace qg;

namespace {

constexpr TimeMs kNow = 1'790'000'000'000;
using hold_atom = caf::atom_constant<caf::atom("hold")>;

// Whether the log on `path`, read on a connection of its own, holds reservation `id`.
bool logged(const std::string& path, const std::string& id) {
  auto db = Database::open({path, OpenMode::read_only});
  EventStore store(*db);
  bool found = false;
  store.scan({}, [&](const EventRow& row) {
    const Event e = decode_row(row, nullptr);
    if (const auto* c = std::get_if<ReservationCreated>(&e.payload); c && c->id == id) found = true;
    return true;
  });
  return found;
}

}  // namespace

TEST_CASE("durable answer: an admission reaches the waiting thread from the journal while the account actor cannot run") {
  test::TempDir dir;
  const std::string path = dir.file("answer.db");
  std::shared_ptr<Database> db = Database::open({path, OpenMode::read_write, Synchronous::full});
  {
    AccountSpec spec;
    spec.provider = "openai";
    spec.limits = {{Metric::requests, 86'400, 100}};
    std::vector<Event> registered{Event{0, kNow, "acct", AccountRegistered{spec}}};
    EventStore(db).append(registered);
  }
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", std::size_t{1});
  caf::actor_system sys{cfg};
  JournalOptions jo;
  jo.log = std::make_shared<EventStore>(db);
  jo.state = recover(*db).state;
  const AccountState acct = jo.state.accounts.at("acct");
  auto journal = spawn_journal(sys, std::move(jo));
  AccountActorOptions ao;
  ao.journal = journal;
  ao.clock = [] { return kNow; };
  ao.tick_interval_ms = 600'000;
  auto account = spawn_account(sys, acct, ao);

  std::promise<void> gate;
  auto released = gate.get_future().share();
  auto holder = sys.spawn([released](caf::event_based_actor*) -> caf::behavior {
    return {[released](hold_atom) { released.wait(); }};  // holds the one scheduler worker
  });
  struct Stop {  // the actors end with the case, a failed REQUIRE included (the system waits for them)
    std::promise<void>& gate;
    caf::actor holder;
    account_actor a;
    journal_actor j;
    bool opened = false;
    void open() {
      if (!opened) gate.set_value();
      opened = true;
    }
    ~Stop() {
      open();
      anon_send_exit(holder, caf::exit_reason::user_shutdown);
      anon_send_exit(a, caf::exit_reason::user_shutdown);
      anon_send_exit(j, caf::exit_reason::user_shutdown);
    }
  } stop{gate, holder, account, journal};

  {  // the account actor is up (its start ran on the worker)
    caf::scoped_actor self{sys};
    self->request(account, caf::infinite, state_atom::value).receive([](const AccountState&) {}, [](caf::error&) {});
  }

  std::promise<ReserveReply> answered;
  auto reply = answered.get_future();
  auto answer = std::make_shared<ReserveAnswer>([&answered](ReserveReply r) { answered.set_value(std::move(r)); });
  ReserveCommand cmd;
  cmd.model = "m";
  cmd.estimate = Usage{1, 10, 10};
  cmd.ttl_ms = 600'000;
  caf::anon_send(account, reserve_atom::value, cmd, std::move(answer));
  caf::anon_send(holder, hold_atom::value);  // queued behind the account: taken once it has sent its append

  // No timing asserted: the wait only bounds a failure (through the account's mailbox it never comes).
  REQUIRE(reply.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  const ReserveReply r = reply.get();
  REQUIRE(r.ok());
  CHECK(r.provider == "openai");
  CHECK(logged(path, r.reservation_id));
  stop.open();

  // The account took the journal's reply afterwards and answers nothing twice: its state has the
  // reservation, and a second reservation goes through as before.
  caf::scoped_actor self{sys};
  AccountState after;
  self->request(account, caf::infinite, state_atom::value).receive([&](AccountState& s) { after = std::move(s); },
                                                                     [](caf::error&) {});
  CHECK(after.reservations.count(r.reservation_id) == 1);
  std::string second;
  self->request(account, caf::infinite, reserve_atom::value, cmd)
      .receive([&](const ReserveReply& rr) { second = rr.reservation_id; }, [](caf::error&) {});
  CHECK_FALSE(second.empty());
  CHECK(logged(path, second));
}
