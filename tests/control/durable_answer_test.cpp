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
#include "tests/control/held_worker.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace qg;
using test::hold_atom;

namespace {

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
  std::shared_ptr<Database> db = test::log_with_account(path, Synchronous::full, 100);
  caf::actor_system_config cfg = test::one_worker_config();
  caf::actor_system sys{cfg};
  auto [journal, account] = test::spawn_held_account(sys, db);

  std::promise<void> gate;
  auto holder = test::spawn_holder(sys, gate.get_future().share());
  test::StopHeld stop{gate, {holder}, account, journal};

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
