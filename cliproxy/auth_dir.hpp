// cliproxy/auth_dir.hpp — where the CLIProxyAPI auth folder is.
//
// Precedence (INTERFACE §1, issue 6): the CLI argument, then $QUOTAGUARD_CLIPROXY_AUTH_PATH,
// then `cliproxy.auth_dir` from config, then CLIProxyAPI's own default `~/.cli-proxy-api`.
// A leading `~` expands to $HOME. Pure apart from the explicit environment lookups in
// `resolve_auth_dir_from_env`.
#pragma once

#include <string>

namespace qg::cliproxy {

inline constexpr const char* kDefaultAuthDir = "~/.cli-proxy-api";
inline constexpr const char* kAuthDirEnv = "QUOTAGUARD_CLIPROXY_AUTH_PATH";

// `~` or `~/...` -> home + rest; anything else unchanged.
std::string expand_home(const std::string& path, const std::string& home);

// First non-empty of cli_arg, env_value, config_value, default; then `~` expanded.
std::string resolve_auth_dir(const std::string& cli_arg, const std::string& env_value,
                             const std::string& config_value, const std::string& home);

// Same, reading $QUOTAGUARD_CLIPROXY_AUTH_PATH and $HOME from the environment.
std::string resolve_auth_dir_from_env(const std::string& cli_arg, const std::string& config_value);

}  // namespace qg::cliproxy
