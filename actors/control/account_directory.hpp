// actors/control/account_directory.hpp — which accounts exist: id -> actor handle and spec.
//
// Filled at start-up from the recovered state and kept current by the account events the
// core writes afterwards (AccountRegistered / AccountUpdated set the spec, AccountRemoved
// takes the account out of specs() — its actor stays, so open reservations still settle).
// Commands go straight to the handle found here. It also remembers which account holds each
// reservation made through the advisory API (select/reserve), so resolving one asks one
// actor instead of every account. Thread-safe (a shared mutex: many readers).
#pragma once

#include "messages/account_protocol.hpp"
#include "messages/event.hpp"

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

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

  // Reservation id -> account, for reservations made through the advisory API. At most
  // kMaxIndexed entries (expired ones are never resolved): beyond, the index starts afresh and
  // lookups fall back to asking every account.
  static constexpr std::size_t kMaxIndexed = 100'000;
  void note_reservation(const std::string& reservation, const std::string& account);
  std::optional<std::string> reservation_account(const std::string& reservation) const;
  void forget_reservation(const std::string& reservation);

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, account_actor> handles_;
  std::map<std::string, AccountSpec> specs_;
  std::unordered_map<std::string, std::string> reservations_;
};

}  // namespace qg
