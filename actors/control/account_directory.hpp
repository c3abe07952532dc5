// actors/control/account_directory.hpp — which accounts exist: id -> actor handle and spec.
//
// Filled at start-up from the recovered state and kept current by the account events the
// core writes afterwards (AccountRegistered / AccountUpdated set the spec, AccountRemoved
// takes the account out of specs() — its actor stays, so open reservations still settle).
// Commands go straight to the handle found here. Thread-safe (a shared mutex: many readers).
#pragma once

#include "messages/account_protocol.hpp"
#include "messages/event.hpp"

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

namespace qg {

class AccountDirectory {
 public:
  void add(const std::string& id, account_actor handle, const AccountSpec& spec);
  // AccountRegistered / AccountUpdated / AccountRemoved for a known account; ignores the rest.
  void apply(const Event& e);

  std::optional<account_actor> handle(const std::string& id) const;
  std::map<std::string, account_actor> handles() const;
  // The spec as last registered, for accounts not removed.
  std::optional<AccountSpec> spec(const std::string& id) const;
  std::map<std::string, AccountSpec> specs() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, account_actor> handles_;
  std::map<std::string, AccountSpec> specs_;
};

}  // namespace qg
