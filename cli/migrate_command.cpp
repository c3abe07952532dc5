// cli/migrate_command.cpp — `quotaguard migrate`: copy a single node's SQLite log into an empty
// PostgreSQL log (the logic: persistence/migrate.cpp). --from defaults to storage.db_path
// (--db, QUOTAGUARD_DB_PATH); --to to storage.postgres.dsn (QUOTAGUARD_POSTGRES_DSN — prefer
// it: a DSN on the command line is visible to other users in the process list).
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "persistence/migrate.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace {

struct MigrateFlags {
  qg::LoadOptions load;
  std::string from, to, node_id;
};

}  // namespace

void add_migrate_command(CLI::App& root) {
  auto flags = std::make_shared<MigrateFlags>();
  auto* cmd = root.add_subcommand(
      "migrate", "copy a single node's SQLite event log into an empty PostgreSQL log "
                 "(storage.backend: postgres), seq for seq");
  qg::cli::add_config_flag(*cmd, flags->load);
  cmd->add_option("--from", flags->from, "the SQLite log (default: storage.db_path)")->type_name("PATH");
  cmd->add_option("--to", flags->to,
                  "PostgreSQL DSN (default: storage.postgres.dsn, env QUOTAGUARD_POSTGRES_DSN)")
      ->type_name("DSN");
  cmd->add_option("--node-id", flags->node_id,
                  "node id the copied events are tagged with (default: storage.postgres.node_id, "
                  "else the host name)")
      ->type_name("ID");
  cmd->callback([flags] {
    const auto loaded = qg::cli::load_config_or_exit(flags->load);
    qg::MigrateOptions o;
    o.from = flags->from.empty() ? loaded.config.storage.db_path : flags->from;
    o.to = loaded.config.storage.postgres;
    if (!flags->to.empty()) o.to.dsn = flags->to;
    if (!flags->node_id.empty()) o.to.node_id = flags->node_id;
    if (o.to.dsn.empty()) {
      std::cerr << "migrate: no target: pass --to DSN or set storage.postgres.dsn "
                   "(QUOTAGUARD_POSTGRES_DSN)\n";
      qg::cli::exit_with(2);
    }
    const int rc = qg::run_migrate(o, std::cout, std::cerr);
    if (rc != 0) qg::cli::exit_with(rc);
  });
}
QG_REGISTER_COMMAND(add_migrate_command);
