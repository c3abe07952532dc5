// quota/system_state.hpp — the whole daemon's state as one fold over the event log.
//
// `apply(SystemState&, Event)` routes each event to the account it names, to the router
// state and to the imported auth folders. The journal keeps one of these in step with what it
// has committed, so snapshots are exact at a seq; `replay` and startup rebuild it from the newest snapshot plus the tail.
#pragma once

#include "quota/account_state.hpp"
#include "quota/auth_folders.hpp"
#include "quota/router_state.hpp"

#include <map>
#include <string>

namespace qg {

struct SystemState {
  std::uint64_t last_seq = 0;
  std::map<std::string, AccountState> accounts;
  RouterState router;
  AuthFolders auth_folders;        // CLIProxyAPI folders imported besides cliproxy.auth_dir
  bool operator==(const SystemState&) const = default;
};

// Applies `e` (which must have seq = last_seq + 1 when seq != 0) and sets last_seq.
void apply(SystemState& s, const Event& e);

}  // namespace qg
