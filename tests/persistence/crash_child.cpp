// tests/persistence/crash_child.cpp — the process the crash test SIGKILLs.
//
// Usage: qg_crash_child DB normal|full      (an SQLite file)
//        qg_crash_child postgresql://... any (a PostgreSQL log; the second argument is ignored)
// Recovers the log, spawns the journal (snapshot every 300 events) and lets four appender
// threads create and resolve reservations through it forever. After each acknowledged
// append it prints "ack <seq>" (flushed), so the parent knows which seqs were promised.
#include "messages/journal_protocol.hpp"
#include "persistence/event_log.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/recovery.hpp"

#include <caf/all.hpp>

#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <thread>

using namespace qg;

namespace {

std::mutex out_mutex;

bool append(caf::scoped_actor& self, const journal_actor& journal, EventBatch batch) {
  bool ok = false;
  self->request(journal, caf::infinite, append_atom::value, std::move(batch))
      .receive(
          [&](const AppendResult& r) {
            if (!r.error.empty()) {
              std::fprintf(stderr, "append failed: %s\n", r.error.c_str());
              return;
            }
            std::lock_guard<std::mutex> lock(out_mutex);
            std::printf("ack %llu\n", static_cast<unsigned long long>(r.last_seq));
            std::fflush(stdout);
            ok = true;
          },
          [&](const caf::error& e) { std::fprintf(stderr, "append error: %s\n", to_string(e).c_str()); });
  return ok;
}

Event event(const std::string& account, EventPayload p) { return Event{0, 0, account, std::move(p)}; }

void appender(caf::actor_system& sys, const journal_actor& journal, int thread) {
  caf::scoped_actor self{sys};
  const std::string prefix = "c" + std::to_string(::getpid()) + "-" + std::to_string(thread) + "-";
  for (long i = 0;; ++i) {
    const std::string id = prefix + std::to_string(i);
    EventBatch create{event("acct-1", ReservationCreated{id, "gpt-4o", Usage{1, 100, 200}, 0})};
    if (i % 5 == 0)  // sometimes a batch of two
      create.push_back(event("acct-1", ReservationCreated{id + "b", "gpt-4o", Usage{1, 5, 5}, 0}));
    if (!append(self, journal, std::move(create))) return;
    EventBatch resolve{i % 3 == 0 ? event("acct-1", ReservationReleased{id, "test"})
                                  : event("acct-1", ReservationCommitted{id, Usage{1, 90, 150}, false})};
    if (i % 5 == 0) resolve.push_back(event("acct-1", ReservationExpired{id + "b"}));
    if (!append(self, journal, std::move(resolve))) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: qg_crash_child DB normal|full\n");
    return 2;
  }
  StorageConfig storage;
  if (std::string(argv[1]).rfind("postgresql://", 0) == 0) {
    storage.backend = StorageBackend::postgres;
    storage.postgres.dsn = argv[1];
    storage.postgres.node_id = "crash-child";
  } else {
    storage.db_path = argv[1];
    if (!parse_synchronous(argv[2], storage.synchronous)) return 2;
  }
  std::shared_ptr<EventLog> log = open_event_log(storage, OpenMode::read_write);
  RecoveredState recovered = recover(*log);
  const bool registered = recovered.state.accounts.count("acct-1") > 0;

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  JournalOptions options;
  options.log = log;
  options.state = std::move(recovered.state);
  options.snapshot_every = 300;
  auto journal = spawn_journal(sys, std::move(options));
  if (!registered) {
    caf::scoped_actor self{sys};
    AccountSpec spec;
    spec.provider = "openai";
    spec.limits = {{Metric::requests, 60, 1'000'000'000}, {Metric::tokens, 86400, 1'000'000'000'000}};
    if (!append(self, journal, EventBatch{event("acct-1", AccountRegistered{spec})})) return 1;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(appender, std::ref(sys), journal, t);
  for (auto& t : threads) t.join();
  return 1;  // appenders only stop on errors
}
