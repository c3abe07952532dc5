// cliproxy/auth_dir.cpp — see auth_dir.hpp.
#include "cliproxy/auth_dir.hpp"

#include <cstdlib>

namespace qg::cliproxy {

std::string expand_home(const std::string& path, const std::string& home) {
  if (path == "~") return home;
  if (path.rfind("~/", 0) == 0) return home + path.substr(1);
  return path;
}

std::string resolve_auth_dir(const std::string& cli_arg, const std::string& env_value,
                             const std::string& config_value, const std::string& home) {
  for (const std::string* candidate : {&cli_arg, &env_value, &config_value})
    if (!candidate->empty()) return expand_home(*candidate, home);
  return expand_home(kDefaultAuthDir, home);
}

std::string resolve_auth_dir_from_env(const std::string& cli_arg, const std::string& config_value) {
  const char* env = std::getenv(kAuthDirEnv);
  const char* home = std::getenv("HOME");
  return resolve_auth_dir(cli_arg, env ? env : "", config_value, home ? home : "");
}

}  // namespace qg::cliproxy
