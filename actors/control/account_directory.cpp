// actors/control/account_directory.cpp — see account_directory.hpp.
#include "actors/control/account_directory.hpp"

#include <mutex>

namespace qg {

void AccountDirectory::add(const std::string& id, account_actor handle, const AccountSpec& spec) {
  std::unique_lock lock(mutex_);
  handles_[id] = std::move(handle);
  specs_[id] = spec;
}

void AccountDirectory::apply(const Event& e) {
  std::unique_lock lock(mutex_);
  if (const auto* r = std::get_if<AccountRegistered>(&e.payload)) specs_[e.account] = r->spec;
  else if (const auto* u = std::get_if<AccountUpdated>(&e.payload)) specs_[e.account] = u->spec;
  else if (std::holds_alternative<AccountRemoved>(e.payload)) specs_.erase(e.account);
}

std::optional<account_actor> AccountDirectory::handle(const std::string& id) const {
  std::shared_lock lock(mutex_);
  auto it = handles_.find(id);
  if (it == handles_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, account_actor> AccountDirectory::handles() const {
  std::shared_lock lock(mutex_);
  return handles_;
}

std::optional<AccountSpec> AccountDirectory::spec(const std::string& id) const {
  std::shared_lock lock(mutex_);
  auto it = specs_.find(id);
  if (it == specs_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, AccountSpec> AccountDirectory::specs() const {
  std::shared_lock lock(mutex_);
  return specs_;
}

void AccountDirectory::note_reservation(const std::string& reservation, const std::string& account) {
  std::unique_lock lock(mutex_);
  if (reservations_.size() >= kMaxIndexed) reservations_.clear();
  reservations_[reservation] = account;
}

std::optional<std::string> AccountDirectory::reservation_account(const std::string& reservation) const {
  std::shared_lock lock(mutex_);
  auto it = reservations_.find(reservation);
  if (it == reservations_.end()) return std::nullopt;
  return it->second;
}

void AccountDirectory::forget_reservation(const std::string& reservation) {
  std::unique_lock lock(mutex_);
  reservations_.erase(reservation);
}

}  // namespace qg
