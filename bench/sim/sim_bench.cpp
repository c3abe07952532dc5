// bench/sim/sim_bench.cpp — the what-if replay at scale (issue 18: 1,000,000 recorded requests
// over 100 accounts in <= 10 s).
//
//   build/bench/sim/sim_bench [--requests N] [--accounts A] [--recorded router|random] [--dir DIR] [--keep]
//
// 1. Writes a log like a week of a busy daemon's (not timed): A accounts (each serving 2 of 4
//    models, a 5h request window and a 1d token window), policy balanced, N requests 0.6 s apart,
//    each created and committed; every 997th fails upstream and is retried on another account,
//    every 5,000th brings a quota observation.
//      --recorded router (default): each request is placed as the daemon places it — the pure
//        decide() over the accounts' summaries, admit(), the RouteSwitched the router persists,
//        a RouteRefused when nothing qualifies — so a replay with the settings in force follows
//        the log (a log a daemon wrote).
//      --recorded random: the account is drawn at random among those serving the model and every
//        1,000th request is refused, so nearly every request diverges: the worst case for the
//        divergence bookkeeping.
// 2. Reference, same run: reading the log alone (scan + decode of every event), in process.
// 3. The engine in process: the log read ahead on a second thread (persistence/event_reader, as
//    the command reads it) + Simulation::feed + finish + report (as recorded, then
//    --policy fill_first with the plot series).
// 4. The user's command end to end: `quotaguard simulate --db LOG --policy fill_first --json`
//    and the same with `--plot`, wall clock and CPU time of the process.
// Prints each figure and its ratio to the reference; exit 1 when the command takes over 10 s.
#include "actors/router/route_decision.hpp"
#include "persistence/database.hpp"
#include "persistence/event_reader.hpp"
#include "persistence/event_store.hpp"
#include "quota/admission.hpp"
#include "quota/router_state.hpp"
#include "sim/plot_svg.hpp"
#include "sim/report_output.hpp"
#include "sim/simulation.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

using namespace qg;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr TimeMs kStart = 1'795'910'400'000;  // a multiple of 1 day
constexpr TimeMs kNever = std::numeric_limits<TimeMs>::max();

std::string account_id(int a) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "acct-%03d", a);
  return buf;
}

// The log being written, in batches of 4,096 events.
struct LogWriter {
  EventStore& store;
  std::vector<Event> batch;
  std::uint64_t events = 0;

  void add(const Event& e) {
    batch.push_back(e);
    if (batch.size() == 4096) flush();
  }
  void flush() {
    if (batch.empty()) return;
    events += batch.size();
    store.append(batch);
    batch.clear();
  }
};

// A daemon in miniature: the accounts' state and breakers, the router's sticky state, and the
// router's view refreshed after every event of an account (as its actor pushes a summary) and
// when a window it shows has reset (as the actors' tick does).
struct MiniDaemon {
  explicit MiniDaemon(LogWriter& out) : log(out) {}
  LogWriter& log;
  std::map<std::string, AccountState> accounts;
  std::map<std::string, BreakerState> breakers;
  RouterState router;
  RouterRuntime runtime;
  RouterView view;
  TimeMs next_reset = kNever;  // the soonest reset a summary in the view shows

  void emit(TimeMs ts, const std::string& account, EventPayload p) {
    const Event e{0, ts, account, std::move(p)};
    log.add(e);
    apply(router, e);
    if (account.empty()) return;
    AccountState& s = accounts[account];
    s.id = account;
    apply(s, e);
    apply(breakers[account], e);
    show(s, ts);
  }
  void show(const AccountState& s, TimeMs at) {
    AccountSummary sum = summarize(s, at, &breakers[s.id]);
    for (const auto& w : sum.windows)
      if (w.reset_at > at) next_reset = std::min(next_reset, w.reset_at);
    view.upsert(std::move(sum));
  }
  void tick(TimeMs now) {
    if (now < next_reset) return;
    next_reset = kNever;
    for (const auto& [id, s] : accounts) {
      const AccountSummary& shown = *view.find(id);
      bool reset = false;
      for (const auto& w : shown.windows) {
        reset = reset || (w.reset_at > shown.summarized_at && w.reset_at <= now);
        if (w.reset_at > now) next_reset = std::min(next_reset, w.reset_at);
      }
      if (reset) show(s, now);
    }
  }

  // The router's route + the account's reserve: the account that took it, "" when refused.
  std::string place(TimeMs t, const RouteRequest& req, const std::string& id) {
    tick(t);
    const RouterSettings settings = effective_settings(RouterSettings{}, router);
    const RouteDecision d = decide(view, router, req, settings, t, runtime);
    for (const auto& target : d.targets) {
      const ReservationCreated c{id, d.model_used, req.estimate, t + 600'000, req.request_id, "chat",
                                 d.model_used == req.model ? "" : req.model, "", false};
      const AdmissionOptions opts{false, 0, settings.breaker};
      if (admit(accounts[target], breakers[target], nullptr, opts, c, t).verdict != Admission::Verdict::admit)
        continue;
      emit(t, target, c);
      if (auto sw = switch_for_admitted(d, target)) emit(t, "", *sw);
      note_admitted(runtime, d, target);
      return target;
    }
    emit(t, "", RouteRefused{req.model, "chat", "", req.estimate, req.request_id,
                             d.ok() ? "quota_exhausted" : to_string(d.error)});
    return {};
  }
};

// One of the accounts serving model k (accounts a serve models a % 4 and (a + 1) % 4).
int random_account(std::uint64_t i, int k, int accounts) {
  const int half = accounts / 4;  // accounts with a % 4 == k or (a + 1) % 4 == k: 2 per 4
  const int pick = static_cast<int>((i * 2654435761u) % static_cast<std::uint64_t>(2 * std::max(1, half)));
  const int base = (pick / 2) * 4;
  return (pick % 2 == 0 ? base + k : base + (k + 3) % 4) % accounts;
}

void write_log(const std::string& path, std::uint64_t requests, int accounts, bool by_router) {
  auto db = Database::open(DatabaseOptions{path, OpenMode::read_write, Synchronous::normal});
  EventStore store(*db);
  LogWriter log{store, {}};
  MiniDaemon daemon(log);
  for (int a = 0; a < accounts; ++a) {
    AccountSpec spec;
    spec.provider = "openai";
    spec.type = "openai";
    spec.origin = "config";
    spec.models = {"m" + std::to_string(a % 4), "m" + std::to_string((a + 1) % 4)};
    spec.limits = {{Metric::requests, 5 * 3600, 400}, {Metric::tokens, 86400, 2'000'000}};
    daemon.emit(kStart, account_id(a), AccountRegistered{spec});
  }
  daemon.emit(kStart, "", SettingChanged{"router.policy", "\"balanced\"", "config"});
  const Usage estimate{1, 500, 1000};
  for (std::uint64_t i = 0; i < requests; ++i) {
    const TimeMs t = kStart + 1000 + static_cast<TimeMs>(i) * 600;
    const int k = static_cast<int>(i % 4);
    RouteRequest req;
    req.model = "m" + std::to_string(k);
    req.estimate = estimate;
    req.request_id = "q" + std::to_string(i);
    std::string id = "r" + std::to_string(i);
    std::string acc;
    if (by_router) {
      acc = daemon.place(t, req, id);
    } else if (i % 1000 == 999) {
      daemon.emit(t, "", RouteRefused{req.model, "chat", "", estimate, req.request_id, "quota_exhausted"});
    } else {
      acc = account_id(random_account(i, k, accounts));
      daemon.emit(t, acc, ReservationCreated{id, req.model, estimate, t + 600'000, req.request_id, "chat", "", "", false});
    }
    if (acc.empty()) continue;
    if (i % 997 == 0) {  // upstream failure, retried elsewhere
      daemon.emit(t + 50, acc, ReservationReleased{id, "upstream_server_error"});
      req.exclude = {acc};
      id += "b";
      if (by_router) {
        acc = daemon.place(t + 60, req, id);
      } else {
        acc = account_id(random_account(i + 1, k, accounts));
        daemon.emit(t + 60, acc, ReservationCreated{id, req.model, estimate, t + 600'000, req.request_id, "chat", "", "", false});
      }
      if (acc.empty()) continue;
    }
    daemon.emit(t + 300, acc, ReservationCommitted{id, Usage{1, 480, 300}, false});
    if (i % 5000 == 0)
      daemon.emit(t + 301, acc, QuotaObserved{QuotaSource::headers, {ObservedWindow{Metric::requests, 60, 500, 3, t + 60'000}}});
  }
  log.flush();
  std::printf("log: %llu events (%llu requests, %d accounts, recorded by %s), %.0f MB\n",
              static_cast<unsigned long long>(log.events), static_cast<unsigned long long>(requests), accounts,
              by_router ? "the router" : "random choice",
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
  auto db = Database::open(DatabaseOptions{path, OpenMode::read_only});
  EventStore log(*db);
  read_events_ahead(log, ScanRange{}, [&](const Event& e) {  // as the command reads it
    s.feed(e);
    return true;
  });
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

double children_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct CommandRun {
  double wall = 0, cpu = 0;
};

CommandRun run_command(const std::string& args) {
  const std::string cmd = std::string(QG_QUOTAGUARD_BIN) + " simulate " + args + " > /dev/null";
  const double cpu0 = children_cpu_seconds();
  const auto t0 = Clock::now();
  const int rc = std::system(cmd.c_str());
  const CommandRun run{seconds_since(t0), children_cpu_seconds() - cpu0};
  if (rc != 0) {
    std::fprintf(stderr, "failed (%d): %s\n", rc, cmd.c_str());
    std::exit(2);
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t requests = 1'000'000;
  int accounts = 100;
  std::string dir = std::filesystem::temp_directory_path() / "qg-sim-bench";
  bool keep = false, by_router = true;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--keep") { keep = true; continue; }
    if (i + 1 >= argc) break;
    const std::string value = argv[++i];
    if (flag == "--requests") requests = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--accounts") accounts = std::atoi(value.c_str());
    else if (flag == "--dir") dir = value;
    else if (flag == "--recorded") by_router = value != "random";
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench.db";
  write_log(path, requests, accounts, by_router);

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

  const CommandRun cli = run_command("--db " + path + " --policy fill_first --json");
  std::printf("command    quotaguard simulate --json       %6.2f s  (x%.2f of reading)  cpu %.2f s  %.0f requests/s\n",
              cli.wall, cli.wall / read, cli.cpu, static_cast<double>(requests) / cli.wall);
  const CommandRun plot = run_command("--db " + path + " --policy fill_first --plot " + dir + "/plot.svg");
  std::printf("command    ... --plot out.svg               %6.2f s  (x%.2f of reading)  cpu %.2f s  svg %.0f kB\n",
              plot.wall, plot.wall / read, plot.cpu,
              static_cast<double>(std::filesystem::file_size(dir + "/plot.svg")) / 1e3);
  const bool ok = cli.wall <= 10.0 && plot.wall <= 10.0;
  std::printf("target     <= 10 s for %llu requests over %d accounts: %s\n",
              static_cast<unsigned long long>(requests), accounts, ok ? "met" : "MISSED");
  if (!keep) std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
