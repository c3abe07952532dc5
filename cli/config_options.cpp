// cli/config_options.cpp — see config_options.hpp.
#include "cli/config_options.hpp"

#include "cli/command_registry.hpp"
#include "config/logging.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace qg::cli {

void add_config_flag(CLI::App& cmd, LoadOptions& opts) {
  cmd.add_option_function<std::string>(
         "--config", [&opts](const std::string& v) { opts.config_path = v; },
         "config file (default: $QUOTAGUARD_CONFIG_PATH, else ./config.yaml if present, "
         "else built-in defaults)")
      ->type_name("PATH");
}

void add_listen_flag(CLI::App& cmd, LoadOptions& opts) {
  cmd.add_option_function<std::string>(
         "--listen", [&opts](const std::string& v) { opts.listen = v; },
         "address to serve on, overrides server.listen (port 0 = any free port)")
      ->type_name("HOST:PORT");
}

void add_db_flag(CLI::App& cmd, LoadOptions& opts) {
  cmd.add_option_function<std::string>(
         "--db", [&opts](const std::string& v) { opts.db_path = v; },
         "event log database, overrides storage.db_path and $QUOTAGUARD_DB_PATH")
      ->type_name("PATH");
}

LoadResult load_config_or_exit(const LoadOptions& opts) {
  LoadResult loaded = load_config(opts);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", redact(loaded.error).c_str());
    exit_with(2);
  }
  register_config_secrets(loaded.config);
  setup_logging(loaded.config.log);
  return loaded;
}

}  // namespace qg::cli
