// tests/control/held_worker.hpp — one real account ("acct") with its real journal on a real
// SQLite file, in an actor system with ONE scheduler worker, and a holder actor that takes that
// worker until the test lets go: what waits in the account's mailbox meanwhile, and what can
// still happen without the account running, is then up to the test, not to timing.
// Used by durable_answer_test.cpp and summary_coalescing_test.cpp.
#pragma once

#include "actors/account/account_actor.hpp"
#include "persistence/database.hpp"
#include "persistence/event_store.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/recovery.hpp"

#include <caf/all.hpp>

#include <future>
#include <memory>
#include <string>
#include <vector>

namespace qg::test {

inline constexpr TimeMs kHeldNow = 1'790'000'000'000;
using hold_atom = caf::atom_constant<caf::atom("hold")>;

// A new log at `path` holding one openai account "acct" with `limit` requests a day.
inline std::shared_ptr<Database> log_with_account(const std::string& path, Synchronous sync, std::int64_t limit) {
  std::shared_ptr<Database> db = Database::open({path, OpenMode::read_write, sync});
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 86'400, limit}};
  std::vector<Event> registered{Event{0, kHeldNow, "acct", AccountRegistered{spec}}};
  EventStore(db).append(registered);
  return db;
}

inline caf::actor_system_config one_worker_config() {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", std::size_t{1});
  return cfg;
}

// The journal of `db` and the account actor of "acct" on it (clock fixed at kHeldNow, no tick).
struct HeldAccount {
  journal_actor journal;
  account_actor account;
};
inline HeldAccount spawn_held_account(caf::actor_system& sys, const std::shared_ptr<Database>& db,
                                      caf::actor listener = {}) {
  JournalOptions jo;
  jo.log = std::make_shared<EventStore>(db);
  jo.state = recover(*db).state;
  const AccountState acct = jo.state.accounts.at("acct");
  HeldAccount out;
  out.journal = spawn_journal(sys, std::move(jo));
  AccountActorOptions ao;
  ao.journal = out.journal;
  ao.listener = std::move(listener);
  ao.clock = [] { return kHeldNow; };
  ao.tick_interval_ms = 600'000;
  out.account = spawn_account(sys, acct, ao);
  return out;
}

// The holder: on hold_atom it sets `holding` (when given) and keeps the one worker until
// `released` is ready.
inline caf::actor spawn_holder(caf::actor_system& sys, std::shared_future<void> released,
                               std::shared_ptr<std::promise<void>> holding = nullptr) {
  return sys.spawn([released, holding](caf::event_based_actor*) -> caf::behavior {
    return {[released, holding](hold_atom) {
      if (holding) holding->set_value();
      released.wait();
    }};
  });
}

// Lets the holder go once (open) and ends the actors with the case, a failed REQUIRE included
// (the actor system waits for them).
struct StopHeld {
  std::promise<void>& gate;
  std::vector<caf::actor> actors;
  account_actor account;
  journal_actor journal;
  bool opened = false;
  void open() {
    if (!opened) gate.set_value();
    opened = true;
  }
  ~StopHeld() {
    open();
    for (auto& a : actors) anon_send_exit(a, caf::exit_reason::user_shutdown);
    anon_send_exit(account, caf::exit_reason::user_shutdown);
    anon_send_exit(journal, caf::exit_reason::user_shutdown);
  }
};

}  // namespace qg::test
