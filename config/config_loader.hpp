// config/config_loader.hpp — finds, reads, overrides and validates the configuration.
//
// Precedence: command-line flags > environment > config file > built-in defaults.
// The file is --config PATH, else $QUOTAGUARD_CONFIG_PATH, else ./config.yaml when it exists,
// else none (built-in defaults). A $QUOTAGUARD_CONFIG_PATH that does not exist yet, or is a
// folder (then its config.yaml is read when present), also means built-in defaults plus the
// environment, with LoadResult::note saying so (first start of a container; QUICKSTART.md). Environment overrides (INTERFACE §2): QUOTAGUARD_DB_PATH,
// QUOTAGUARD_CLIPROXY_AUTH_PATH, QUOTAGUARD_ADMIN_TOKEN, QUOTAGUARD_TELEGRAM_TOKEN,
// SHUTDOWN_TIMEOUT. Any problem yields one line naming file, key path and bad value, e.g.
// `config.yaml: router.thresholds.switch: 120 is not a percentage (0..100)`.
#pragma once

#include "config/config.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

struct LoadOptions {
  std::optional<std::string> config_path;  // --config
  std::optional<std::string> listen;       // --listen HOST:PORT
  std::optional<std::string> db_path;      // --db
  std::optional<std::string> auth_dir;     // e.g. `setup AUTH_DIR`
  // Environment lookup; unset = the process environment. Tests inject env_from_map(...).
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // Directory searched for config.yaml when no path is given; "" = current directory.
  std::string search_dir;
};

struct LoadResult {
  Config config;                  // defaults when !ok()
  std::string error;              // one line; empty when ok
  std::string path;               // file read; "" = built-in defaults
  std::vector<std::string> overrides;  // "storage.db_path from QUOTAGUARD_DB_PATH", "... from --db"
  std::string note;               // why no file was read though one was named ("" otherwise)
  bool ok() const { return error.empty(); }
};

LoadResult load_config(const LoadOptions& options = {});
// Same as load_config, from YAML text; `file_label` names it in messages.
LoadResult load_config_text(std::string_view yaml, std::string_view file_label,
                            const LoadOptions& options = {});

// Why `serve` must not start with these server settings, or "": a non-loopback listen with no
// client keys opens /v1/* (and the accounts behind it) to the network, so it needs
// server.api_keys (or QUOTAGUARD_API_KEYS) or an explicit server.allow_unauthenticated: true.
std::string open_proxy_refusal(const ServerConfig& server);

// Why the daemon must not run with these server settings, or "": a non-loopback listen
// without server.admin_token (the admin API would be open), then open_proxy_refusal. `serve`
// exits 2 with it, `check` fails with it, and a reload that would open the daemon is refused
// with it (the running settings stay).
std::string exposure_refusal(const ServerConfig& server);

// An environment lookup answering from `vars` only (for tests).
std::function<std::optional<std::string>(const std::string&)> env_from_map(
    std::map<std::string, std::string> vars);

}  // namespace qg
