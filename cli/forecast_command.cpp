// cli/forecast_command.cpp — `quotaguard forecast [--json] [--url URL] [--config P] [--db P]`.
//
// When each quota window runs out at the current pace, what stays unused at its reset, and
// when each model pool runs dry (docs/FORECAST.md).
//   1. Asks the running daemon: GET /api/v1/forecast (cli/daemon_query.hpp).
//   2. If no daemon answers: the same forecast (quota/forecast.hpp) over the state rebuilt
//      from the event log plus config.yaml, labelled "offline (from event log at seq N)".
// --json prints GET /api/v1/forecast's object plus "source".
// Exit: 0 shown; 1 the daemon answered with an error; 2 usage, config or storage error.
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon_query.hpp"
#include "cli/forecast_text.hpp"
#include "messages/forecast_json.hpp"
#include "messages/wall_clock.hpp"
#include "quota/forecast.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace {

using nlohmann::json;

struct ForecastFlags {
  qg::LoadOptions load;
  std::string url;
  bool json = false;
};

void run_forecast(const ForecastFlags& f) {
  const auto loaded = qg::cli::load_config_or_exit(f.load);
  std::string error;
  json out;
  if (auto live = qg::cli::get_from_daemon(loaded.config, f.url, "/api/v1/forecast", {}, error)) {
    out = std::move(live->body);
    out["source"] = "daemon at " + live->where;
  } else if (!error.empty()) {
    std::fprintf(stderr, "quotaguard forecast: %s\n", error.c_str());
    qg::cli::exit_with(1);
  } else {
    try {
      const qg::TimeMs now = qg::system_clock_ms();
      const qg::SystemState state = qg::cli::offline_state(loaded.config, now);
      out = qg::forecast_to_json(qg::forecast(state.accounts, qg::cli::offline_settings(loaded.config, state), now));
      out["source"] = "offline (from event log at seq " + std::to_string(state.last_seq) + ")";
    } catch (const std::exception& e) {
      std::fprintf(stderr, "quotaguard forecast: %s\n", e.what());
      qg::cli::exit_with(2);
    }
  }
  if (f.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("source: %s\n%s", out["source"].get<std::string>().c_str(),
              qg::cli::forecast_text(out, qg::system_clock_ms()).c_str());
}

}  // namespace

void add_forecast_command(CLI::App& root) {
  auto flags = std::make_shared<ForecastFlags>();
  auto* cmd = root.add_subcommand("forecast", "when each quota window and model pool runs out at the current pace");
  cmd->add_flag("--json", flags->json, "print GET /api/v1/forecast's answer as JSON");
  cmd->add_option("--url", flags->url, "daemon base URL, e.g. http://127.0.0.1:8318 (default: server.listen)");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->callback([flags] { run_forecast(*flags); });
}
QG_REGISTER_COMMAND(add_forecast_command);
