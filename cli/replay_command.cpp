// cli/replay_command.cpp — `quotaguard replay`: audit the event log (INTERFACE §1/§5).
// The logic lives in persistence/replay.cpp; this file only wires the flags. The database
// is the config's storage: storage.backend postgres reads storage.postgres.dsn
// ($QUOTAGUARD_POSTGRES_DSN); sqlite reads --db, else $QUOTAGUARD_DB_PATH, else storage.db_path.
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "persistence/replay.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace {

struct ReplayFlags {
  qg::LoadOptions load;
  qg::ReplayOptions replay;
  std::string since, until, account;
};

}  // namespace

void add_replay_command(CLI::App& root) {
  auto flags = std::make_shared<ReplayFlags>();
  auto* cmd = root.add_subcommand(
      "replay", "audit the event log: print events in order and the state they rebuild; "
                "--verify checks its invariants (exit 1 naming the seq of each violation)");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->add_option("--since", flags->since, "first event: a seq number or an ISO 8601 time")
      ->type_name("SEQ|ISO8601");
  cmd->add_option("--until", flags->until, "last event (and the state shown): seq or ISO 8601 time")
      ->type_name("SEQ|ISO8601");
  cmd->add_option("--account", flags->account, "only this account's events and state")->type_name("ID");
  cmd->add_flag("--json", flags->replay.json, "one JSON object per line, then {\"state\":{...}}");
  cmd->add_flag("--events-only", flags->replay.events_only, "do not print the final state");
  cmd->add_flag("--verify", flags->replay.verify,
                "check seq gaps, reservation lifecycle and snapshots instead of printing events");
  cmd->callback([flags] {
    const auto loaded = qg::cli::load_config_or_exit(flags->load);
    qg::ReplayOptions o = flags->replay;
    o.storage = loaded.config.storage;
    if (!flags->since.empty()) o.since = flags->since;
    if (!flags->until.empty()) o.until = flags->until;
    if (!flags->account.empty()) o.account = flags->account;
    const int rc = qg::run_replay(o, std::cout, std::cerr);
    if (rc != 0) qg::cli::exit_with(rc);
  });
}
QG_REGISTER_COMMAND(add_replay_command);
