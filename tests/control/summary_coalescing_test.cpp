// tests/control/summary_coalescing_test.cpp — the account actor's summaries to the router are
// coalesced: changes made while other messages wait in its mailbox go out as one summary behind
// them, not one summary per change (actors/account/account_actor.cpp push_summary; docs/
// PERFORMANCE.md issue 17 ninth pass), and the summary that goes out has every change.
//
// Real account actor, real journal, real SQLite file. The actor system has one scheduler
// worker; another actor holds it while the test queues reservations for the account, so they
// all wait in its mailbox when it runs. The listener (the router's place) counts summaries.
#include "messages/router_protocol.hpp"
#include "quota/account_summary.hpp"
#include "tests/control/held_worker.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <mutex>

using namespace qg;
using test::hold_atom;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;

struct Seen {
  std::mutex m;
  std::vector<std::int64_t> reserved;  // the requests window's reserved units, per summary
};

}  // namespace

TEST_CASE("summaries: reservations waiting in the account's mailbox go to the router as one summary with all of them") {
  test::TempDir dir;
  std::shared_ptr<Database> db = test::log_with_account(dir.file("summary.db"), Synchronous::normal, 1000);
  caf::actor_system_config cfg = test::one_worker_config();
  caf::actor_system sys{cfg};
  auto seen = std::make_shared<Seen>();
  auto listener = sys.spawn([seen](caf::event_based_actor*) -> caf::behavior {
    return {[seen](summary_atom, const AccountSummary& s, const account_actor&) {
              std::int64_t reserved = -1;
              for (const auto& w : s.windows)
                if (w.metric == Metric::requests) reserved = w.reserved;
              std::lock_guard<std::mutex> lock(seen->m);
              seen->reserved.push_back(reserved);
            },
            [](ping_atom) { return true; }};
  });
  auto [journal, account] = test::spawn_held_account(sys, db, listener);

  std::promise<void> gate;
  auto holding = std::make_shared<std::promise<void>>();
  auto held = holding->get_future();
  auto holder = test::spawn_holder(sys, gate.get_future().share(), holding);
  test::StopHeld stop{gate, {holder, listener}, account, journal};

  caf::scoped_actor self{sys};
  // The account actor is up and its first summary is in.
  self->request(account, caf::infinite, state_atom::value).receive([](const AccountState&) {}, [](caf::error&) {});
  self->request(listener, caf::infinite, ping_atom::value).receive([](bool) {}, [](caf::error&) {});

  caf::anon_send(holder, hold_atom::value);
  REQUIRE(held.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  std::size_t before = 0;
  {
    std::lock_guard<std::mutex> lock(seen->m);
    before = seen->reserved.size();
  }
  constexpr int kReservations = 20;
  std::vector<std::future<ReserveReply>> replies;
  ReserveCommand cmd;
  cmd.model = "m";
  cmd.estimate = Usage{1, 10, 10};
  cmd.ttl_ms = 600'000;
  for (int i = 0; i < kReservations; ++i) {
    auto p = std::make_shared<std::promise<ReserveReply>>();
    replies.push_back(p->get_future());
    caf::anon_send(account, reserve_atom::value, cmd,
                   std::make_shared<ReserveAnswer>([p](ReserveReply r) { p->set_value(std::move(r)); }));
  }
  stop.open();  // the account now finds all of them in its mailbox
  for (auto& r : replies) {
    REQUIRE(r.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    CHECK(r.get().ok());
  }
  // Everything the account sent before this answer is in the listener's mailbox before it.
  self->request(account, caf::infinite, state_atom::value).receive([](const AccountState&) {}, [](caf::error&) {});
  self->request(listener, caf::infinite, ping_atom::value).receive([](bool) {}, [](caf::error&) {});

  std::lock_guard<std::mutex> lock(seen->m);
  const std::size_t summaries = seen->reserved.size() - before;
  INFO("summaries after the burst: " << summaries);
  CHECK(summaries >= 1);
  CHECK(summaries < 4);  // one per reservation (20) without coalescing
  CHECK(seen->reserved.back() == kReservations);  // the last one has every reservation
}
