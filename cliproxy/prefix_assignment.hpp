// cliproxy/prefix_assignment.hpp — choose CLIProxyAPI model prefixes for unpinned accounts.
//
// Pinning a request to one CLIProxyAPI account uses the auth's `prefix` with
// `force-model-prefix: true`: QuotaGuard sends model "<prefix>/<model>". `setup
// --assign-prefixes` gives every auth file without a prefix a readable, unique one and sets it
// through `PATCH /v0/management/auth-files/fields`. A prefix is per file (a multi-project
// Gemini file shares one). Pure.
#pragma once

#include "messages/event.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg::cliproxy {

struct PrefixAssignment {
  std::string file;                       // auth file name
  std::string prefix;                     // new prefix
  std::vector<std::string> account_ids;   // accounts it pins
};

// `accounts` = id -> spec of the accounts found in the folder (DiscoveryOutcome::accounts).
// Prefix = "<type>-<e-mail local part or id tail>", lower-case [a-z0-9-], unique against
// every prefix already in use (numbered -2, -3, ... on a clash). Disabled accounts included.
std::vector<PrefixAssignment> plan_prefixes(const std::map<std::string, AccountSpec>& accounts);

// Ids of accounts with no prefix ("unpinned": routed as one pooled CLIProxyAPI account).
std::vector<std::string> unpinned_accounts(const std::map<std::string, AccountSpec>& accounts);

}  // namespace qg::cliproxy
