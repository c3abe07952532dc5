// cli/serve_command.cpp — `quotaguard serve [--config P] [--listen HOST:PORT] [--db P]`:
// loads the config (a bad one: its one-line error, exit 2, nothing started), refuses a
// non-loopback listen without an admin token or without client keys (exit 2; see
// open_proxy_refusal), then runs the daemon (cli/daemon.hpp).
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon.hpp"
#include "cli/serve_options.hpp"
#include "persistence/event_log.hpp"
#include "config/config_loader.hpp"
#include "config/listen_address.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace {

int serve(const qg::LoadOptions& options) {
  qg::LoadResult loaded = qg::cli::load_config_or_exit(options);
  const qg::Config& cfg = loaded.config;
  if (std::string open = qg::exposure_refusal(cfg.server); !open.empty()) {
    std::fprintf(stderr, "%s\n", open.c_str());
    return 2;
  }
  // The event log must open before anything starts: a missing directory, a foreign or
  // corrupt file or a read-only one is a configuration error (exit 2, one line).
  try {
    qg::open_event_log(cfg.storage, qg::OpenMode::read_write);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  qg::cli::set_serve_load_options(options);
  spdlog::info("quotaguard {} starting; config: {}", QG_VERSION,
               loaded.path.empty() ? "built-in defaults" : loaded.path);
  if (!loaded.note.empty()) spdlog::warn("{}", loaded.note);
  for (const auto& o : loaded.overrides) spdlog::info("override: {}", o);
  qg::Daemon daemon(cfg);
  return daemon.run();
}

}  // namespace

void add_serve_command(CLI::App& root) {
  auto options = std::make_shared<qg::LoadOptions>();
  auto* cmd = root.add_subcommand("serve", "run the daemon (foreground; logs to stderr)");
  qg::cli::add_config_flag(*cmd, *options);
  qg::cli::add_listen_flag(*cmd, *options);
  qg::cli::add_db_flag(*cmd, *options);
  cmd->callback([options] {
    int code = serve(*options);
    if (code != 0) qg::cli::exit_with(code);
  });
}
QG_REGISTER_COMMAND(add_serve_command);
