// bench/journal/journal_bench.cpp — journal throughput, replay and startup figures.
//
//   build-*/bench/journal/bench_journal [--appends N] [--clients C] [--replay N] [--dir DIR]
//
// 1. Raw SQLite: the rows the journal would write, pre-encoded, inserted in transactions of
//    the batch size the journal reached, synchronous=full and normal (the ceiling).
// 2. Journal actor: C client actors, each with one append (1 event) in flight at a time,
//    synchronous=full and normal. Ratio = journal / raw of the same mode, same run.
// 3. Replay: recover() of a log of N events with no snapshot (read + decode + apply).
// 4. Startup: Database::open + recover() with a snapshot at the last of the N events.
#include "messages/event_codec.hpp"
#include "messages/journal_protocol.hpp"
#include "persistence/event_store.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/recovery.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/state_codec.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

using namespace qg;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

constexpr int kAccounts = 10;
constexpr TimeMs kStart = 1'795'964'640'000;

// Event i of a realistic stream: reservations created then committed, 10 accounts.
Event bench_event(std::uint64_t i) {
  const std::string account = "acct-" + std::to_string(i / 2 % kAccounts);
  const std::string id = "r" + std::to_string(i / 2);
  Event e{0, kStart + static_cast<TimeMs>(i) * 5, account, {}};
  if (i % 2 == 0) e.payload = ReservationCreated{id, "gpt-4o-mini", Usage{1, 420, 1024}, e.ts + 600'000};
  else e.payload = ReservationCommitted{id, Usage{1, 410, 230}, false};
  return e;
}

std::vector<Event> registrations() {
  std::vector<Event> out;
  for (int a = 0; a < kAccounts; ++a) {
    AccountSpec spec;
    spec.provider = "openai";
    spec.limits = {{Metric::requests, 60, 1'000'000'000}, {Metric::tokens, 86400, 1'000'000'000'000}};
    out.push_back(Event{0, kStart, "acct-" + std::to_string(a), AccountRegistered{spec}});
  }
  return out;
}

std::string fresh(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

double raw_sqlite(const std::string& path, Synchronous sync, std::uint64_t n, std::size_t batch) {
  auto db = Database::open({path, OpenMode::read_write, sync});
  EventStore store(*db);
  std::vector<std::string> data(n), types(n), accounts(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Event e = bench_event(i);
    data[i] = encode_payload(e.payload);
    types[i] = std::string(event_type(e));
    accounts[i] = e.account;
  }
  const auto t0 = Clock::now();
  for (std::uint64_t i = 0; i < n;) {
    Transaction tx(*db);
    for (std::size_t k = 0; k < batch && i < n; ++k, ++i)
      store.insert(i + 1, kStart, types[i], accounts[i], kEventSchemaVersion, data[i]);
    tx.commit();
  }
  return static_cast<double>(n) / seconds_since(t0);
}

double through_journal(const std::string& path, Synchronous sync, std::uint64_t n, int clients) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<Database> db = Database::open({path, OpenMode::read_write, sync});
  JournalOptions o;
  o.log = std::make_shared<EventStore>(db);
  o.snapshot_every = 10000;
  auto journal = spawn_journal(sys, std::move(o));
  const std::uint64_t per_client = n / static_cast<std::uint64_t>(clients);
  std::vector<std::promise<void>> done(static_cast<std::size_t>(clients));
  const auto t0 = Clock::now();
  const journal_actor* j = &journal;  // by pointer: the closures below never die (cycle)
  for (int c = 0; c < clients; ++c) {
    auto* finished = &done[static_cast<std::size_t>(c)];
    sys.spawn([=](caf::event_based_actor* self) {
      auto sent = std::make_shared<std::uint64_t>(0);
      auto next = std::make_shared<std::function<void()>>();
      *next = [=] {
        if (*sent == per_client) {
          finished->set_value();
          return;
        }
        const std::uint64_t i = static_cast<std::uint64_t>(c) * per_client + (*sent)++;
        self->request(*j, caf::infinite, append_atom::value, EventBatch{bench_event(i)})
            .then([=](const AppendResult& r) {
              if (!r.error.empty()) std::fprintf(stderr, "append failed: %s\n", r.error.c_str());
              (*next)();
            });
      };
      (*next)();
    });
  }
  for (auto& d : done) d.get_future().wait();
  const double rate = static_cast<double>(per_client * static_cast<std::uint64_t>(clients)) / seconds_since(t0);
  caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
  return rate;
}

void build_log(const std::string& path, std::uint64_t n) {
  auto db = Database::open({path});
  EventStore store(*db);
  auto regs = registrations();
  store.append(regs);
  std::vector<Event> batch;
  for (std::uint64_t i = regs.size(); i < n; i += batch.size()) {
    batch.clear();
    for (std::uint64_t k = i; k < n && batch.size() < 5000; ++k) batch.push_back(bench_event(k));
    store.append(batch);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::uint64_t appends = 200'000, replay_n = 1'000'000;
  int clients = 256;
  std::string dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--appends") appends = std::stoull(argv[i + 1]);
    else if (flag == "--clients") clients = std::stoi(argv[i + 1]);
    else if (flag == "--replay") replay_n = std::stoull(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else { std::fprintf(stderr, "unknown flag %s\n", flag.c_str()); return 2; }
  }
  std::printf("journal bench: %llu appends, %d clients, replay %llu events, dir %s\n",
              static_cast<unsigned long long>(appends), clients,
              static_cast<unsigned long long>(replay_n), dir.c_str());

  for (Synchronous sync : {Synchronous::full, Synchronous::normal}) {
    const char* name = sync == Synchronous::full ? "full" : "normal";
    const double journal = through_journal(fresh(dir, "qg-bench-journal.db"), sync, appends, clients);
    // The journal's batches are bounded by the clients in flight: compare with raw inserts
    // in transactions of that many rows.
    const double raw = raw_sqlite(fresh(dir, "qg-bench-raw.db"), sync, appends, static_cast<std::size_t>(clients));
    std::printf("append sync=%-6s journal %9.0f ev/s   raw SQLite (tx of %d rows) %9.0f rows/s   ratio %.2f\n",
                name, journal, clients, raw, journal / raw);
  }

  const std::string log = fresh(dir, "qg-bench-replay.db");
  build_log(log, replay_n);
  {
    auto db = Database::open({log, OpenMode::read_only});
    const auto t0 = Clock::now();
    auto r = recover(*db);
    const double s = seconds_since(t0);
    std::printf("replay  %llu events, no snapshot: %.3f s (%.0f ev/s), state at seq %llu\n",
                static_cast<unsigned long long>(r.events_replayed), s, r.events_replayed / s,
                static_cast<unsigned long long>(r.state.last_seq));
    auto rw = Database::open({log});
    SnapshotStore(*rw).write(r.state.last_seq, kStart, kStateSchemaVersion, encode_state(r.state));
  }
  {
    const auto t0 = Clock::now();
    auto db = Database::open({log});
    auto r = recover(*db);
    std::printf("startup with snapshot at seq %llu: %.1f ms (open + recover, %llu tail events)\n",
                static_cast<unsigned long long>(r.snapshot_seq), seconds_since(t0) * 1000,
                static_cast<unsigned long long>(r.events_replayed));
  }
  for (const char* f : {"qg-bench-journal.db", "qg-bench-raw.db", "qg-bench-replay.db"}) fresh(dir, f);
  return 0;
}
