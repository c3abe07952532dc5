// quota/served_here.cpp — see the header.
#include "quota/served_here.hpp"

namespace qg {

bool served_here(const std::string& id, const AccountSpec& spec, const LocalCredentials& local) {
  if (local.config_accounts.count(id)) return true;  // its key (or base_url) is in this node's config
  if (spec.provider != "cliproxy") return false;
  if (spec.file.empty() || !local.file_exists) return false;
  const std::string& folder = spec.auth_dir.empty() ? local.cliproxy_auth_dir : spec.auth_dir;
  return !folder.empty() && local.file_exists(folder + "/" + spec.file);
}

}  // namespace qg
