// cli/config_options.hpp — the config-related flags commands share, and loading with them.
//
//   auto opts = std::make_shared<qg::LoadOptions>();
//   qg::cli::add_config_flag(*cmd, *opts);              // --config PATH
//   qg::cli::add_listen_flag(*cmd, *opts);              // --listen HOST:PORT (serve)
//   qg::cli::add_db_flag(*cmd, *opts);                  // --db PATH
//   cmd->callback([opts] { auto loaded = qg::cli::load_config_or_exit(*opts); ... });
//
// load_config_or_exit prints the loader's one-line error to stderr and exits 2; on success
// it also applies the log settings and registers the config's secrets for redaction.
#pragma once

#include "config/config_loader.hpp"

namespace CLI {
class App;
}

namespace qg::cli {

void add_config_flag(CLI::App& cmd, LoadOptions& opts);
void add_listen_flag(CLI::App& cmd, LoadOptions& opts);
void add_db_flag(CLI::App& cmd, LoadOptions& opts);

LoadResult load_config_or_exit(const LoadOptions& opts);

}  // namespace qg::cli
