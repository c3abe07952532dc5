// config/config_loader.cpp — see config_loader.hpp.
#include "config/config_loader.hpp"

#include "config/config_parse.hpp"
#include "config/config_reader.hpp"
#include "messages/duration.hpp"
#include "config/listen_address.hpp"
#include "messages/ascii_text.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qg {
// yaml-cpp's parser recurses once per nesting level: tens of thousands of levels (`[[[[...`
// or ever deeper indentation) overflow the stack. A YAML node is nested at most as deep as
// its flow brackets plus its block indentation (each block level adds at least one column,
// `- ` items included), so bounding both bounds the recursion. Quoted text and comments do
// not count. Returns the one-line error, or "" when within the bounds.
constexpr int kMaxYamlFlowDepth = 64;
constexpr std::size_t kMaxYamlIndent = 256;

std::string yaml_nesting_error(std::string_view yaml, std::string_view label) {
  int flow = 0;
  std::size_t line = 1;
  bool at_line_start = true;
  std::size_t indent = 0;
  char quote = 0;
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const char c = yaml[i];
    if (c == '\n') {
      ++line;
      at_line_start = true;
      indent = 0;
      if (quote == '\'') continue;  // single-quoted scalars may span lines
      continue;
    }
    if (at_line_start) {
      if (c == ' ' || c == '-' || c == '?' || c == ':' || c == '\t') {
        if (++indent > kMaxYamlIndent)
          return std::string(label) + ": line " + std::to_string(line) + ": YAML nesting deeper than " +
                 std::to_string(kMaxYamlIndent) + " columns of indentation";
        continue;
      }
      at_line_start = false;
    }
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if ((c == '"' || c == '\'') && (i == 0 || std::string_view(" \t:[{,-").find(yaml[i - 1]) != std::string_view::npos))
      quote = c;
    else if (c == '#') {
      while (i + 1 < yaml.size() && yaml[i + 1] != '\n') ++i;  // comment to end of line
    } else if (c == '[' || c == '{') {
      if (++flow > kMaxYamlFlowDepth)
        return std::string(label) + ": line " + std::to_string(line) + ": YAML nesting deeper than " +
               std::to_string(kMaxYamlFlowDepth) + " levels of [ ] / { }";
    } else if ((c == ']' || c == '}') && flow > 0) {
      --flow;
    }
  }
  return {};
}

YAML::Node load_yaml_tree(std::string_view yaml, std::string_view label) {
  if (std::string deep = yaml_nesting_error(yaml, label); !deep.empty()) throw ConfigError(deep);
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(std::string(label) + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                      std::to_string(e.mark.column + 1) + ": malformed YAML (" + e.msg + ")");
  }
}

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
  if (auto v = env_value(env, "QUOTAGUARD_STORAGE_BACKEND")) {
    auto backend = storage_backend_from_string(*v);
    if (!backend)
      throw ConfigError("QUOTAGUARD_STORAGE_BACKEND: " + *v + " is not one of sqlite|postgres");
    cfg.storage.backend = *backend;
    note("storage.backend", "QUOTAGUARD_STORAGE_BACKEND");
  }
  set_from_env("QUOTAGUARD_DB_PATH", "storage.db_path", cfg.storage.db_path);
  set_from_env("QUOTAGUARD_POSTGRES_DSN", "storage.postgres.dsn", cfg.storage.postgres.dsn);
  set_from_env("QUOTAGUARD_CLIPROXY_AUTH_PATH", "cliproxy.auth_dir", cfg.cliproxy.auth_dir);
  set_from_env("QUOTAGUARD_ADMIN_TOKEN", "server.admin_token", cfg.server.admin_token);
  set_from_env("QUOTAGUARD_TELEGRAM_TOKEN", "telegram.token", cfg.telegram.token);
  if (auto v = env_value(env, "QUOTAGUARD_API_KEYS")) {  // comma-separated client keys
    cfg.server.api_keys.clear();
    std::string_view rest = *v;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view key = trim_space(rest.substr(0, comma));
      if (!key.empty()) cfg.server.api_keys.emplace_back(key);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    note("server.api_keys", "QUOTAGUARD_API_KEYS");
  }
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
  if (cfg.storage.backend == StorageBackend::postgres && cfg.storage.postgres.dsn.empty())
    throw ConfigError("storage.postgres.dsn: required when storage.backend is postgres "
                      "(or set QUOTAGUARD_POSTGRES_DSN)");
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
    const YAML::Node root = load_yaml_tree(yaml, label);
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

std::string exposure_refusal(const ServerConfig& server) {
  if (!is_loopback_listen(server.listen) && server.admin_token.empty())
    return "server.listen: " + server.listen +
           " is not loopback and server.admin_token is not set (set it in the config or QUOTAGUARD_ADMIN_TOKEN)";
  return open_proxy_refusal(server);
}

std::string open_proxy_refusal(const ServerConfig& server) {
  if (is_loopback_listen(server.listen) || !server.api_keys.empty() || server.allow_unauthenticated) return {};
  return "server.listen: " + server.listen +
         " is not loopback and server.api_keys is empty: anyone who can reach it could use your accounts "
         "(set server.api_keys or QUOTAGUARD_API_KEYS, or server.allow_unauthenticated: true to allow it)";
}

}  // namespace qg
