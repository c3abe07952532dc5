// quota/served_here.cpp — see the header.
#include "quota/served_here.hpp"

namespace qg {

bool served_here(const std::string& id, const AccountSpec& spec, const LocalCredentials& local) {
  if (spec.provider != "cliproxy") return local.config_accounts.count(id) > 0;
  if (spec.file.empty() || !local.file_exists) return false;
  const std::string& folder = spec.auth_dir.empty() ? local.cliproxy_auth_dir : spec.auth_dir;
  return !folder.empty() && local.file_exists(folder + "/" + spec.file);
}

}  // namespace qg
