// bench/sim/sim_bench.cpp — the what-if replay at scale (issue 18: 1,000,000 recorded requests
// over 100 accounts in <= 10 s).
//
//   build/bench/sim/sim_bench [--requests N] [--accounts A] [--dir DIR]
//
// 1. Writes a log like a week of a busy daemon's: A accounts (each serving 2 of 4 models, a 5h
//    request window and a 1d token window), N requests 0.6 s apart, each created and committed;
//    every 997th fails upstream and is retried on another account, every 1,000th is refused by
//    the router, every 5,000th brings a quota observation. (Not timed.)
// 2. Reference, same run: reading the log alone (scan + decode of every event), in process.
// 3. The engine in process: scan + decode + Simulation::feed + finish + report (as recorded,
//    then --policy fill_first with the plot series).
// 4. The user's command end to end: `quotaguard simulate --db LOG --policy fill_first --json`
//    and the same with `--plot`, wall clock of the process.
// Prints each figure and its ratio to the reference; exit 1 when the command takes over 10 s.
#include "persistence/database.hpp"
#include "persistence/event_store.hpp"
#include "sim/plot_svg.hpp"
#include "sim/report_output.hpp"
#include "sim/simulation.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace qg;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr TimeMs kStart = 1'795'910'400'000;  // a multiple of 1 day

std::string account_id(int a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "acct-%03d", a);
  return buf;
}

struct Generator {
  int accounts;
  std::vector<Event> batch;
  EventStore& store;
  std::uint64_t events = 0;

  void add(TimeMs ts, std::string account, EventPayload p) {
    batch.push_back(Event{0, ts, std::move(account), std::move(p)});
    if (batch.size() == 4096) flush();
  }
  void flush() {
    if (batch.empty()) return;
    events += batch.size();
    store.append(batch);
    batch.clear();
  }
  // One of the accounts serving model k (accounts a serve models a % 4 and (a + 1) % 4).
  int account_for(std::uint64_t i, int k) const {
    const int half = accounts / 4;  // accounts with a % 4 == k or (a + 1) % 4 == k: 2 per 4
    const int pick = static_cast<int>((i * 2654435761u) % static_cast<std::uint64_t>(2 * std::max(1, half)));
    const int base = (pick / 2) * 4;
    return (pick % 2 == 0 ? base + k : base + (k + 3) % 4) % accounts;
  }
};

void write_log(const std::string& path, std::uint64_t requests, int accounts) {
  auto db = Database::open(DatabaseOptions{path, OpenMode::read_write, Synchronous::normal});
  EventStore store(*db);
  Generator g{accounts, {}, store};
  for (int a = 0; a < accounts; ++a) {
    AccountSpec spec;
    spec.provider = "openai";
    spec.type = "openai";
    spec.origin = "config";
    spec.models = {"m" + std::to_string(a % 4), "m" + std::to_string((a + 1) % 4)};
    spec.limits = {{Metric::requests, 5 * 3600, 400}, {Metric::tokens, 86400, 2'000'000}};
    g.add(kStart, account_id(a), AccountRegistered{spec});
  }
  g.add(kStart, "", SettingChanged{"router.policy", "\"balanced\"", "config"});
  for (std::uint64_t i = 0; i < requests; ++i) {
    const TimeMs t = kStart + 1000 + static_cast<TimeMs>(i) * 600;
    const int k = static_cast<int>(i % 4);
    const std::string model = "m" + std::to_string(k);
    const std::string rid = "q" + std::to_string(i);
    const Usage estimate{1, 500, 1000};
    if (i % 1000 == 999) {
      g.add(t, "", RouteRefused{model, "chat", "", estimate, rid, "quota_exhausted"});
      continue;
    }
    std::string acc = account_id(g.account_for(i, k));
    std::string id = "r" + std::to_string(i);
    g.add(t, acc, ReservationCreated{id, model, estimate, t + 600'000, rid, "chat"});
    if (i % 997 == 0) {  // upstream failure, retried elsewhere
      g.add(t + 50, acc, ReservationReleased{id, "upstream_server_error"});
      acc = account_id(g.account_for(i + 1, k));
      id += "b";
      g.add(t + 60, acc, ReservationCreated{id, model, estimate, t + 600'000, rid, "chat"});
    }
    g.add(t + 300, acc, ReservationCommitted{id, Usage{1, 480, 300}, false});
    if (i % 5000 == 0)
      g.add(t + 301, acc, QuotaObserved{QuotaSource::headers, {ObservedWindow{Metric::requests, 60, 500, 3, t + 60'000}}});
  }
  g.flush();
  std::printf("log: %llu events (%llu requests, %d accounts), %.0f MB\n", static_cast<unsigned long long>(g.events),
              static_cast<unsigned long long>(requests), accounts,
              static_cast<double>(std::filesystem::file_size(path)) / 1e6);
}

template <class Each>
void scan(const std::string& path, Each each) {
  auto db = Database::open(DatabaseOptions{path, OpenMode::read_only});
  EventStore store(*db);
  store.scan(ScanRange{}, [&](const EventRow& row) {
    std::string warning;
    each(decode_row(row, &warning));
    return true;
  });
}

double run_engine(const std::string& path, sim::SimOptions o, std::string& summary) {
  const auto t0 = Clock::now();
  const bool plot = o.series;
  sim::Simulation s(std::move(o));
  scan(path, [&](const Event& e) { s.feed(e); });
  const sim::SimReport r = s.finish();
  std::string out = sim::report_json(r);
  if (plot) out += sim::plot_svg(r);
  const double secs = seconds_since(t0);
  char buf[200];
  std::snprintf(buf, sizeof buf, "requests %lld, served %lld / %lld, refused %lld / %lld, divergences %lld",
                static_cast<long long>(r.recorded.requests), static_cast<long long>(r.recorded.served),
                static_cast<long long>(r.simulated.served), static_cast<long long>(r.recorded.refused),
                static_cast<long long>(r.simulated.refused), static_cast<long long>(r.divergences));
  summary = buf;
  return secs;
}

double run_command(const std::string& args) {
  const std::string cmd = std::string(QG_QUOTAGUARD_BIN) + " simulate " + args + " > /dev/null";
  const auto t0 = Clock::now();
  const int rc = std::system(cmd.c_str());
  const double secs = seconds_since(t0);
  if (rc != 0) {
    std::fprintf(stderr, "failed (%d): %s\n", rc, cmd.c_str());
    std::exit(2);
  }
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t requests = 1'000'000;
  int accounts = 100;
  std::string dir = std::filesystem::temp_directory_path() / "qg-sim-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--requests") requests = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--accounts") accounts = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench.db";
  write_log(path, requests, accounts);

  auto t0 = Clock::now();
  std::uint64_t n = 0;
  scan(path, [&](const Event&) { ++n; });
  const double read = seconds_since(t0);
  std::printf("reference  read + decode %llu events       %6.2f s\n", static_cast<unsigned long long>(n), read);

  std::string summary;
  const double as_recorded = run_engine(path, {}, summary);
  std::printf("engine     as recorded                      %6.2f s  (x%.2f of reading)  %s\n", as_recorded,
              as_recorded / read, summary.c_str());
  sim::SimOptions ff;
  ff.policy = RoutePolicy::fill_first;
  ff.series = true;
  const double what_if = run_engine(path, ff, summary);
  std::printf("engine     --policy fill_first + plot       %6.2f s  (x%.2f of reading)  %s\n", what_if,
              what_if / read, summary.c_str());

  const double cli = run_command("--db " + path + " --policy fill_first --json");
  std::printf("command    quotaguard simulate --json       %6.2f s  (x%.2f of reading)  %.0f requests/s\n", cli,
              cli / read, static_cast<double>(requests) / cli);
  const double cli_plot = run_command("--db " + path + " --policy fill_first --plot " + dir + "/plot.svg");
  std::printf("command    ... --plot out.svg               %6.2f s  (x%.2f of reading)  svg %.0f kB\n", cli_plot,
              cli_plot / read, static_cast<double>(std::filesystem::file_size(dir + "/plot.svg")) / 1e3);
  const bool ok = cli <= 10.0 && cli_plot <= 10.0;
  std::printf("target     <= 10 s for %llu requests over %d accounts: %s\n",
              static_cast<unsigned long long>(requests), accounts, ok ? "met" : "MISSED");
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
