// quota/system_state.cpp — fold of the whole event log.
#include "quota/system_state.hpp"

namespace qg {

void apply(SystemState& s, const Event& e) {
  if (!e.account.empty()) {
    auto& acc = s.accounts[e.account];
    if (acc.id.empty()) acc.id = e.account;
    apply(acc, e);
  }
  apply(s.router, e);
  apply(s.auth_folders, e);
  if (e.seq != 0) s.last_seq = e.seq;
}

}  // namespace qg
