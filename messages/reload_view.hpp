// messages/reload_view.hpp — what a config reload did (Operations::reload), and its JSON form
// {"status":"reloaded"|"partial","account_changes":[{"account","type"}],"errors":[..]}
// (POST /api/v1/reload, /qg_reload).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace qg {

struct ReloadView {
  struct AccountChange {
    std::string account;
    std::string type;  // the event written: AccountRegistered, AccountUpdated, AccountRemoved, ...
  };
  std::vector<AccountChange> account_changes;
  std::vector<std::string> errors;  // changes the event log refused; non-empty = "partial"
};

nlohmann::json reload_view_json(const ReloadView& v);

}  // namespace qg
