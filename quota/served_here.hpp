// quota/served_here.hpp — whether this node can serve an account: it holds its credential.
//
// On a log shared by several nodes (docs/EVENT_LOG.md §7.4) every node knows every account
// (each account's events are in the log), but accounts come from each node's own sources:
// its config.yaml (an API key) and its CLIProxyAPI auth folders (an auth file). A node
// accounts for every account — its actor, quota state, status — but routes only to those it
// holds the credential of:
//   - an account this node's config lists (its API key, or its base_url, is there);
//   - a discovered CLIProxyAPI account whose auth file is on this node's disk (the folder the
//     spec names, else this node's cliproxy.auth_dir): this node's CLIProxyAPI serves it.
// One node (SQLite) serves every account it knows: the rule applies to shared logs only.
// Pure: the file check is injected (tests/account/served_here_test.cpp).
#pragma once

#include "messages/event.hpp"

#include <functional>
#include <set>
#include <string>

namespace qg {

struct LocalCredentials {
  std::set<std::string> config_accounts;  // ids of accounts in this node's config.yaml
  std::string cliproxy_auth_dir;          // this node's cliproxy.auth_dir, expanded
  std::function<bool(const std::string& path)> file_exists;  // null: no file is here
};

bool served_here(const std::string& id, const AccountSpec& spec, const LocalCredentials& local);

}  // namespace qg
