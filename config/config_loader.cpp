// config/config_loader.cpp — see config_loader.hpp.
#include "config/config_loader.hpp"

#include "config/config_parse.hpp"
#include "config/config_reader.hpp"
#include "config/duration.hpp"
#include "config/listen_address.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qg {
namespace {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

// Non-empty value of an environment variable (an empty variable counts as unset).
std::optional<std::string> env_value(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

// Applies environment variables, then flags, over `result.config`. Throws ConfigError.
void apply_overrides(LoadResult& result, const LoadOptions& options, const EnvLookup& env) {
  Config& cfg = result.config;
  auto note = [&](const char* key, const std::string& from) {
    result.overrides.push_back(std::string(key) + " from " + from);
  };
  auto set_from_env = [&](const char* var, const char* key, std::string& field) {
    if (auto v = env_value(env, var)) {
      field = *v;
      note(key, var);
    }
  };
  set_from_env("QUOTAGUARD_DB_PATH", "storage.db_path", cfg.storage.db_path);
  set_from_env("QUOTAGUARD_CLIPROXY_AUTH_PATH", "cliproxy.auth_dir", cfg.cliproxy.auth_dir);
  set_from_env("QUOTAGUARD_ADMIN_TOKEN", "server.admin_token", cfg.server.admin_token);
  set_from_env("QUOTAGUARD_TELEGRAM_TOKEN", "telegram.token", cfg.telegram.token);
  if (auto v = env_value(env, "SHUTDOWN_TIMEOUT")) {
    auto d = parse_duration(*v);
    if (!d || d->count() < 0)
      throw ConfigError("SHUTDOWN_TIMEOUT: " + *v +
                        " is not a duration (Go syntax, e.g. 30s, 1.5s, 1m30s)");
    cfg.server.shutdown_timeout = *d;
    note("server.shutdown_timeout", "SHUTDOWN_TIMEOUT");
  }
  if (options.listen) {
    if (!parse_listen(*options.listen))
      throw ConfigError("--listen: " + (options.listen->empty() ? "\"\"" : *options.listen) +
                        " is not HOST:PORT");
    cfg.server.listen = *options.listen;
    note("server.listen", "--listen");
  }
  if (options.db_path) {
    if (options.db_path->empty()) throw ConfigError("--db: must not be empty");
    cfg.storage.db_path = *options.db_path;
    note("storage.db_path", "--db");
  }
  if (options.auth_dir) {
    cfg.cliproxy.auth_dir = *options.auth_dir;
    note("cliproxy.auth_dir", "AUTH_DIR argument");
  }
}

// Which file to read: explicit path, environment, ./config.yaml, or none. A
// QUOTAGUARD_CONFIG_PATH that names nothing yet — the container's first start, before the
// operator wrote config.yaml — or a folder (Docker creates one when a missing file is
// bind-mounted) means: that folder's config.yaml if there is one, else built-in defaults plus
// the environment, said in `note`. An explicit --config must exist (a typo is an error).
std::optional<std::string> find_config_file(const LoadOptions& options, const EnvLookup& env,
                                            std::string& note) {
  if (options.config_path) return *options.config_path;
  if (auto v = env_value(env, "QUOTAGUARD_CONFIG_PATH")) {
    std::error_code ec;
    const std::filesystem::path p(*v);
    if (std::filesystem::is_directory(p, ec)) {
      if (std::filesystem::is_regular_file(p / "config.yaml", ec)) return (p / "config.yaml").string();
      note = "no config file: " + *v + " (QUOTAGUARD_CONFIG_PATH) is a folder without config.yaml; "
             "running on built-in defaults + environment";
      return std::nullopt;
    }
    if (!std::filesystem::exists(p, ec) && !std::filesystem::is_symlink(p, ec)) {
      note = "no config file at " + *v + " (QUOTAGUARD_CONFIG_PATH) yet; running on built-in "
             "defaults + environment";
      return std::nullopt;
    }
    return *v;
  }
  std::filesystem::path local =
      std::filesystem::path(options.search_dir.empty() ? "." : options.search_dir) /
      "config.yaml";
  std::error_code ec;
  if (std::filesystem::is_regular_file(local, ec)) {
    return options.search_dir.empty() ? std::string("config.yaml") : local.string();
  }
  return std::nullopt;
}

LoadResult parse_text(std::string_view yaml, std::string_view label, const LoadOptions& options,
                      const EnvLookup& env) {
  LoadResult result;
  result.path = std::string(label);
  try {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::ParserException& e) {
      throw ConfigError(std::string(label) + ": line " + std::to_string(e.mark.line + 1) +
                        ", column " + std::to_string(e.mark.column + 1) + ": malformed YAML (" +
                        e.msg + ")");
    }
    ParseContext ctx{std::string(label), env, {}, {}};
    result.config = parse_config_tree(ctx, root);
    apply_overrides(result, options, env);
  } catch (const ConfigError& e) {
    result.config = Config{};
    result.error = e.what();
  } catch (const YAML::Exception& e) {  // defensive: a yaml-cpp surprise is still one line
    result.config = Config{};
    result.error = std::string(label) + ": " + e.what();
  }
  return result;
}

}  // namespace

LoadResult load_config_text(std::string_view yaml, std::string_view file_label,
                            const LoadOptions& options) {
  EnvLookup env = options.getenv ? options.getenv : process_env();
  return parse_text(yaml, file_label, options, env);
}

LoadResult load_config(const LoadOptions& options) {
  EnvLookup env = options.getenv ? options.getenv : process_env();
  std::string note;
  auto path = find_config_file(options, env, note);
  if (!path) {
    LoadResult result;
    result.note = note;
    try {
      apply_overrides(result, options, env);
    } catch (const ConfigError& e) {
      result.config = Config{};
      result.error = e.what();
    }
    return result;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(*path, ec)) {
    LoadResult result;
    result.error = *path + ": is a directory, not a config file";
    return result;
  }
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.error = *path + ": cannot read config file (" +
                   (std::filesystem::exists(*path, ec) ? "permission denied" : "no such file") +
                   ")";
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_text(text.str(), *path, options, env);
}

std::function<std::optional<std::string>(const std::string&)> env_from_map(
    std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace qg
