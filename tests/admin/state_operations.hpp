// tests/admin/state_operations.hpp — an Operations implementation for route tests.
//
// Backed by the real pure state (qg::SystemState, validate, apply, event_to_json_line): each
// verb validates a proposed event, appends it to an in-memory log with the next seq and
// applies it, so the HTTP layer under test sees real account JSON and a real event tail.
// Not the daemon's implementation (actors/control/core_operations): no actors, no SQLite,
// a simple "most remaining" router. The clock is injected (`now`).
#pragma once

#include "messages/operations.hpp"
#include "quota/system_state.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace qg::test {

class StateOperations : public Operations {
 public:
  TimeMs now = 1'780'000'000'000;  // 2026-05-28

  // Registers an account (AccountRegistered event).
  void add_account(const std::string& id, AccountSpec spec);
  std::vector<Event> log() const;
  // Feedback calls received, as "account:kind".
  std::vector<std::string> feedback_calls() const;
  std::string telegram_token() const;

  StatusView status() override;
  std::vector<AccountView> accounts() override;
  OpAnswer<AccountView> account(const std::string& id) override;
  OpAnswer<AccountCommandView> drain(const std::string& id, const Requester& by) override;
  OpAnswer<AccountCommandView> resume(const std::string& id, const Requester& by) override;
  OpAnswer<AccountCommandView> reset_cooldown(const std::string& id, const Requester& by) override;
  std::vector<ReservationView> reservations() override;
  OpAnswer<SettingView> get_setting(const std::string& key) override;
  OpAnswer<SettingView> put_setting(const std::string& key, const nlohmann::json& value,
                                     const Requester& by) override;
  OpAnswer<ReloadView> reload(const Requester& by) override;
  OpAnswer<ImportView> import_accounts(const std::string& auth_dir, const Requester& by) override;
  OpAnswer<AuthFoldersView> auth_folders() override;
  OpAnswer<ForgetFolderView> forget_folder(const std::string& path, const Requester& by) override;
  std::string export_yaml() override;
  OpAnswer<EventPage> events(std::uint64_t after, std::size_t limit) override;
  ActivityView activity(TimeMs span_ms, TimeMs bucket_ms) override;  // folds the whole log
  ForecastView forecast() override;  // quota/forecast.hpp over the state, default router settings
  OpAnswer<RouteExplanation> explain_route(const std::string& model, const std::string& client_key,
                                           Dialect dialect) override;
  OpAnswer<Done> observe(const std::string& account, const QuotaObserved& q, const Requester& by) override;
  OpAnswer<RouteGrant> select(const std::string& model, const std::vector<std::string>& exclude,
                              bool reserve, const Usage& estimate) override;
  OpAnswer<RouteGrant> reserve(const std::string& account, const std::string& model, const Usage& estimate,
                               TimeMs ttl_ms) override;
  OpAnswer<Done> resolve(const std::string& reservation_id, Resolution how, const Usage& actual) override;
  OpAnswer<ReservationView> reservation(const std::string& reservation_id) override;
  OpAnswer<Done> feedback(const std::string& account, OutcomeKind kind, TimeMs retry_hint_ms) override;
  std::map<std::string, double> distribution() override;
  OpAnswer<Done> set_telegram_token(const std::string& token, const Requester& by) override;

 private:
  // Validates and appends; answers the failure (unknown_account, rejected), if any.
  std::optional<OpFailure> propose(const std::string& account, EventPayload payload);
  OpAnswer<AccountCommandView> account_verb(const std::string& id, EventPayload payload);
  void append(const std::string& account, EventPayload payload);
  OpAnswer<RouteGrant> reserve_locked(const std::string& account, const std::string& model,
                                      const Usage& estimate, TimeMs ttl_ms);

  mutable std::mutex mutex_;
  SystemState state_;
  std::vector<Event> log_;
  RouterSettings settings_;  // the defaults until a put
  std::map<std::string, std::string> reservation_account_;  // every id ever created
  std::map<std::string, std::string> resolved_;             // id -> status
  std::vector<std::string> feedback_;
  std::string telegram_token_;
  int next_reservation_ = 1;
};

}  // namespace qg::test
