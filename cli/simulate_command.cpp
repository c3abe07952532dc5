// cli/simulate_command.cpp — `quotaguard simulate`: what the recorded traffic would have done
// under other settings (docs/FORECAST.md §2, docs/INTERFACE.md). The engine is sim/ (pure);
// this file reads the flags, opens the event log read-only, feeds it event by event (read ahead
// on a second thread) and writes the report (text or --json on stdout, --plot to a file).
// Exit: 0 reported; 2 usage, config or storage error (one line on stderr).
#include "cli/config_options.hpp"
#include "cli/command_registry.hpp"
#include "config/config_loader.hpp"
#include "messages/duration.hpp"
#include "config/limits_file.hpp"
#include "messages/civil_time.hpp"
#include "persistence/database.hpp"
#include "persistence/event_reader.hpp"
#include "persistence/event_log.hpp"
#include "sim/plot_svg.hpp"
#include "sim/report_output.hpp"
#include "sim/simulation.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace {

struct SimulateFlags {
  std::string db, since, until, config, policy, thresholds, hysteresis, min_dwell, limits, plot;
  bool json = false;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "quotaguard simulate: %s\n", message.c_str());
  qg::cli::exit_with(2);
}

qg::TimeMs time_flag(const std::string& text, const char* flag) {
  auto t = qg::parse_utc_ms(text);
  if (!t) fail(std::string(flag) + ": expected an ISO 8601 time such as 2026-12-01T00:00:00Z, got " + text);
  return *t;
}

double number_flag(const std::string& text, const char* flag) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') fail(std::string(flag) + ": expected a number, got " + text);
  return v;
}

std::string read_file(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(std::string(flag) + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

qg::sim::SimOptions options_from(const SimulateFlags& f) {
  qg::sim::SimOptions o;
  if (!f.since.empty()) o.since = time_flag(f.since, "--since");
  if (!f.until.empty()) o.until = time_flag(f.until, "--until");
  if (o.since && o.until && o.until < o.since) fail("--until is before --since");
  if (!f.config.empty()) {
    qg::LoadOptions load;
    load.config_path = f.config;
    const auto loaded = qg::load_config(load);
    if (!loaded.ok()) fail(loaded.error);
    o.settings = qg::router_settings_from(loaded.config.router);
    for (const auto& a : loaded.config.accounts) o.limits[a.id] = a.limits;
  }
  if (!f.policy.empty()) {
    o.policy = qg::policy_from_string(f.policy);
    if (!o.policy) fail("--policy: expected balanced|max_remaining|fill_first|earliest_reset|round_robin|paced, got " + f.policy);
  }
  if (!f.thresholds.empty()) {
    double w = 0, s = 0, c = 0;
    char tail = 0;
    if (std::sscanf(f.thresholds.c_str(), "%lf,%lf,%lf%c", &w, &s, &c, &tail) != 3)
      fail("--thresholds: expected W,S,C (three percents), got " + f.thresholds);
    o.thresholds = qg::RouteThresholds{w, s, c};
  }
  if (!f.hysteresis.empty()) o.hysteresis = number_flag(f.hysteresis, "--hysteresis");
  if (!f.min_dwell.empty()) {
    auto d = qg::parse_duration(f.min_dwell);
    if (!d) fail("--min-dwell: expected a duration such as 5m, got " + f.min_dwell);
    o.min_dwell_ms = d->count();
  }
  if (!f.limits.empty()) {
    const auto file = qg::parse_limits_file(read_file(f.limits, "--accounts-limits"), f.limits);
    if (!file.error.empty()) fail(file.error);
    for (const auto& [id, limits] : file.limits) o.limits[id] = limits;
  }
  // The overrides must make usable settings whatever they are laid over.
  for (const auto& problem : qg::validate(qg::sim::simulated_settings(qg::RouterSettings{}, o))) fail(problem);
  return o;
}

// The log, by the loader's one rule as replay reads it: the daemon's config.yaml (searched as
// every command does; --config here is the alternative settings, not that file) names the
// storage — storage.backend postgres reads storage.postgres.dsn ($QUOTAGUARD_POSTGRES_DSN);
// sqlite reads --db, else $QUOTAGUARD_DB_PATH, else storage.db_path. --db alone means that file.
qg::StorageConfig storage_of(const SimulateFlags& f) {
  qg::LoadOptions load;
  if (!f.db.empty()) load.db_path = f.db;
  qg::StorageConfig storage = qg::cli::load_config_or_exit(load).config.storage;
  if (!f.db.empty()) storage.backend = qg::StorageBackend::sqlite;
  return storage;
}

void run_simulate(const SimulateFlags& f) {
  qg::sim::SimOptions o = options_from(f);
  o.series = !f.plot.empty();
  const qg::TimeMs until = o.until;
  qg::sim::Simulation sim(std::move(o));
  try {
    auto log = qg::open_event_log(storage_of(f), qg::OpenMode::read_only);
    // Read and decoded on a second thread while the simulation runs (persistence/event_reader).
    qg::read_events_ahead(*log, qg::ScanRange{}, [&](const qg::Event& e) {
      if (until && e.ts > until) return false;
      sim.feed(e);
      return true;
    });
  } catch (const qg::StorageError& e) {
    fail(e.what());
  }
  const qg::sim::SimReport report = sim.finish();
  if (!f.plot.empty()) {
    std::ofstream out(f.plot, std::ios::binary | std::ios::trunc);
    out << qg::sim::plot_svg(report);
    if (!out.flush()) fail("--plot: cannot write " + f.plot);
  }
  const std::string text = f.json ? qg::sim::report_json(report) : qg::sim::report_text(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void add_simulate_command(CLI::App& root) {
  auto f = std::make_shared<SimulateFlags>();
  auto* cmd = root.add_subcommand(
      "simulate", "what-if replay: route the recorded requests again under other settings (read-only) "
                  "and compare with what happened");
  cmd->add_option("--db", f->db, "event log database (default $QUOTAGUARD_DB_PATH, else storage.db_path)")
      ->type_name("PATH");
  cmd->add_option("--since", f->since, "first request to simulate (ISO 8601); the state before it is replayed as recorded")
      ->type_name("TIME");
  cmd->add_option("--until", f->until, "last event read (ISO 8601)")->type_name("TIME");
  cmd->add_option("--config", f->config, "take router settings and account limits from this config file")
      ->type_name("FILE");
  cmd->add_option("--policy", f->policy, "routing policy to simulate")->type_name("POLICY");
  cmd->add_option("--thresholds", f->thresholds, "warning,switch,critical percents")->type_name("W,S,C");
  cmd->add_option("--hysteresis", f->hysteresis, "anti-flapping hysteresis in points")->type_name("H");
  cmd->add_option("--min-dwell", f->min_dwell, "anti-flapping minimum dwell (e.g. 5m)")->type_name("D");
  cmd->add_option("--accounts-limits", f->limits, "YAML: account id -> [{metric, window, limit}] replacing its limits")
      ->type_name("FILE");
  cmd->add_flag("--json", f->json, "the report as one JSON object");
  cmd->add_option("--plot", f->plot, "write an SVG: each account's main window, recorded vs simulated")
      ->type_name("OUT.svg");
  cmd->callback([f] { run_simulate(*f); });
}
QG_REGISTER_COMMAND(add_simulate_command);
