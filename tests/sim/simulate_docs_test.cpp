// tests/sim/simulate_docs_test.cpp — the worked example of docs/FORECAST.md §2, run: a log a
// daemon under fill_first would write (made by the daemon's own pure decide/validate/apply),
// stored in a real event log (SQLite; PostgreSQL under `make test-postgres`), then `quotaguard simulate --policy balanced --plot` on it.
// The committed docs/simulate-example.svg and the report quoted in docs/FORECAST.md must be
// exactly what the binary prints (QG_UPDATE_DOCS=1 rewrites the SVG and prints the text).
#include "actors/router/route_decision.hpp"
#include "persistence/event_log.hpp"
#include "quota/system_state.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_storage.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

using namespace qg;

namespace {

constexpr TimeMs kT0 = 1'795'914'000'000;  // 2026-11-29T01:00:00Z, a multiple of 5 h: windows reset at T0 + 5h
constexpr TimeMs kMin = 60'000;

// A daemon in miniature: every request decided and admitted by the same pure code.
struct Recorder {
  SystemState state;
  RouterRuntime runtime;
  std::vector<Event> events;
  int n = 0;

  void add(TimeMs ts, const std::string& account, EventPayload p) {
    Event e{0, ts, account, std::move(p)};
    apply(state, e);
    events.push_back(std::move(e));
  }
  void account(const std::string& id, std::vector<std::string> models, std::int64_t priority) {
    AccountSpec s;
    s.provider = "openai";
    s.type = "openai";
    s.origin = "config";
    s.models = std::move(models);
    s.priority = priority;
    s.limits = {LimitSpec{Metric::requests, 5 * 3600, 60}};
    add(kT0, id, AccountRegistered{s});
  }
  void request(TimeMs t, const std::string& model) {
    const std::string id = "r" + std::to_string(++n), rid = "req-" + std::to_string(n);
    const RouterSettings settings = effective_settings(RouterSettings{}, state.router);
    RouteRequest req;
    req.model = model;
    const RouteDecision d = decide(make_view(state.accounts, t), state.router, req, settings, t, runtime);
    for (const auto& target : d.targets) {
      ReservationCreated c{id, d.model_used, req.estimate, t + 10 * kMin, rid, "chat",
                           d.model_used == model ? "" : model, "", false};
      if (validate(state.accounts[target], c, t).verdict != Verdict::accept) continue;
      add(t, target, c);
      if (auto sw = switch_for_admitted(d, target)) add(t + 5, "", *sw);
      note_admitted(runtime, d, target);
      add(t + 20'000, target, ReservationCommitted{id, req.estimate, false});
      return;
    }
    add(t, "", RouteRefused{model, "chat", "", req.estimate, rid, d.ok() ? "quota_exhausted" : to_string(d.error)});
  }
};

// Three subscription accounts with 60 requests per 5 hours; only codex-a may use gpt-5. Coding
// agents send gpt-5-codex every 3 minutes for 4 hours, and from the second hour a gpt-5 request
// every 8 minutes; the next window sees half of that.
std::vector<Event> example_log() {
  Recorder r;
  r.account("codex-a", {"gpt-5-codex", "gpt-5"}, 2);
  r.account("codex-b", {"gpt-5-codex"}, 1);
  r.account("codex-c", {"gpt-5-codex"}, 0);
  r.add(kT0, "", SettingChanged{"router.policy", "\"fill_first\"", "config"});
  struct Arrival { TimeMs at; const char* model; };
  std::vector<Arrival> arrivals;
  for (TimeMs t = kT0 + kMin; t < kT0 + 240 * kMin; t += 3 * kMin) arrivals.push_back({t, "gpt-5-codex"});
  for (TimeMs t = kT0 + 61 * kMin + 30'000; t < kT0 + 300 * kMin; t += 8 * kMin) arrivals.push_back({t, "gpt-5"});
  for (TimeMs t = kT0 + 301 * kMin; t < kT0 + 540 * kMin; t += 6 * kMin) arrivals.push_back({t, "gpt-5-codex"});
  for (TimeMs t = kT0 + 302 * kMin + 30'000; t < kT0 + 600 * kMin; t += 16 * kMin) arrivals.push_back({t, "gpt-5"});
  std::stable_sort(arrivals.begin(), arrivals.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  for (const auto& a : arrivals) r.request(a.at, a.model);
  // The log's order is time order (a commit 20 s after its request may follow a later request).
  std::stable_sort(r.events.begin(), r.events.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  return r.events;
}


}  // namespace

TEST_CASE("simulate: the worked example of docs/FORECAST.md is what the binary prints, and its SVG the one committed") {
  test::TempDir dir("qg-sim-docs");
  const std::string db_path = dir.file("quotaguard.db");
  {
    std::vector<Event> events = example_log();
    open_event_log(test::test_log_storage(db_path), OpenMode::read_write)->append(events);
  }
  // The settings in force reproduce the log exactly.
  auto as_recorded = test::run_quotaguard({"simulate", "--db", db_path, "--json"});
  REQUIRE_MESSAGE(as_recorded.exit_code == 0, as_recorded.err);
  const auto j = nlohmann::json::parse(as_recorded.out);
  CHECK(j["divergences"]["count"] == 0);
  CHECK(j["recorded"]["refused"].get<int>() > 0);

  const std::string svg = dir.file("simulate-example.svg");
  auto run = test::run_quotaguard({"simulate", "--db", db_path, "--policy", "balanced", "--plot", svg});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  const std::string docs = std::string(QG_SOURCE_DIR) + "/docs/";
  if (const char* update = std::getenv("QG_UPDATE_DOCS"); update && std::string(update) == "1") {
    std::ofstream(docs + "simulate-example.svg", std::ios::binary) << test::read_file(svg);
    MESSAGE("report for docs/FORECAST.md:\n" << run.out);
  }
  CHECK_MESSAGE(test::read_file(svg) == test::read_file(docs + "simulate-example.svg"),
                "docs/simulate-example.svg is not what simulate draws now (QG_UPDATE_DOCS=1 rewrites it)");
  CHECK_MESSAGE(test::read_file(docs + "FORECAST.md").find(run.out) != std::string::npos,
                "docs/FORECAST.md does not quote this report:\n" << run.out);
}
