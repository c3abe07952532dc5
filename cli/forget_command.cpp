// cli/forget_command.cpp — `quotaguard forget AUTH_DIR [--json]`: drop an imported folder.
//
// A CLIProxyAPI auth folder imported besides cliproxy.auth_dir (`setup AUTH_DIR`,
// `/qg_import AUTH_DIR`, POST /api/v1/import) stays watched until forgotten. This command
// forgets it: AuthFolderForgotten, then AccountRemoved for each account that came from it.
//   - a running daemon (server.listen) does it: POST /api/v1/import/forget {"path"};
//   - when none answers, the events are written into the event log (storage.db_path, or PostgreSQL with storage.backend: postgres).
// Exit: 0 forgotten; 1 the daemon refused for another reason; 2 usage/config error (the folder
// is cliproxy.auth_dir, or not imported).
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon_query.hpp"
#include "cliproxy/discovery.hpp"
#include "config/config.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/event_log.hpp"
#include "persistence/recovery.hpp"
#include "quota/system_state.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace {

struct ForgetFlags {
  qg::LoadOptions load;
  std::string auth_dir;
  bool json = false;
};

struct Forgotten {
  int exit_code = 0;
  std::string error;
  nlohmann::json body;  // {"path","removed":[ids]}
};

// Without a daemon: the same events the daemon writes, into the log.
Forgotten forget_in_database(const qg::Config& cfg, const std::string& folder, const std::string& configured) {
  if (folder == configured)
    return {2, "path: " + folder + " is cliproxy.auth_dir; change the config to stop watching it", {}};
  if (!qg::event_log_exists(cfg.storage))
    return {2, "path: " + folder + " is not an imported folder (no event log at " +
                   (cfg.storage.backend == qg::StorageBackend::sqlite ? cfg.storage.db_path : "storage.postgres") + ")",
            {}};
  auto log = qg::open_event_log(cfg.storage, qg::OpenMode::read_write);
  qg::SystemState state = qg::recover(*log).state;
  if (!state.auth_folders.imported.count(folder)) return {2, "path: " + folder + " is not an imported folder", {}};
  std::map<std::string, qg::AccountSpec> live;
  for (const auto& [id, account] : state.accounts)
    if (!account.removed) live[id] = account.spec;
  const qg::TimeMs now = qg::system_clock_ms();
  std::vector<qg::Event> events{qg::Event{0, now, "", qg::AuthFolderForgotten{folder, "cli"}}};
  auto removals = qg::cliproxy::forget_folder_events(folder, live, now);
  events.insert(events.end(), removals.begin(), removals.end());
  log->append(events);
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& e : removals) removed.push_back(e.account);
  return {0, "", {{"path", folder}, {"removed", removed}}};
}

void run_forget(const ForgetFlags& flags) {
  qg::LoadResult loaded = qg::cli::load_config_or_exit(flags.load);
  const qg::Config& cfg = loaded.config;
  const std::string folder = qg::cliproxy::folder_key(qg::expand_user_path(flags.auth_dir));
  const std::string configured = qg::cliproxy::folder_key(qg::expand_user_path(cfg.cliproxy.auth_dir));
  Forgotten out;
  std::string error;
  int status = 0;
  bool handed = false;
  if (auto answer = qg::cli::post_to_daemon(cfg, "/api/v1/import/forget", {{"path", folder}}, error, &status)) {
    out.body = answer->body;
    handed = true;
  } else if (!error.empty()) {
    const bool usage = status == 404 || status == 409;  // not imported / the configured folder
    out = {usage ? 2 : 1, error, {}};
  } else {
    try {
      out = forget_in_database(cfg, folder, configured);
    } catch (const qg::StorageError& e) {
      out = {2, e.what(), {}};
    }
  }
  if (out.exit_code != 0) {
    std::fprintf(stderr, "%s\n", out.error.c_str());
    qg::cli::exit_with(out.exit_code);
  }
  if (flags.json) {
    std::printf("%s\n", out.body.dump().c_str());
    return;
  }
  if (handed) std::printf("handed to the running daemon at %s\n", cfg.server.listen.c_str());
  const auto removed = out.body.value("removed", nlohmann::json::array());
  std::printf("forgot %s: no longer watched, %zu account(s) removed\n", folder.c_str(), removed.size());
  for (const auto& id : removed) std::printf("  removed   %s\n", id.get<std::string>().c_str());
}

}  // namespace

void add_forget_command(CLI::App& root) {
  auto flags = std::make_shared<ForgetFlags>();
  auto* cmd = root.add_subcommand("forget", "stop watching an imported CLIProxyAPI folder and remove its accounts");
  cmd->add_option("AUTH_DIR", flags->auth_dir, "the folder, as imported with `setup AUTH_DIR` or /qg_import")->required();
  cmd->add_flag("--json", flags->json, "print {\"path\",\"removed\":[ids]}");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->callback([flags] { run_forget(*flags); });
}
QG_REGISTER_COMMAND(add_forget_command);
