// tests/telegram/test_operations.hpp — an in-test qg::Operations for the bot's unit tests.
//
// Holds real qg::AccountState objects (folded with the real `apply`) and an in-memory event
// list in the replay --json shape, so the bot sees the same JSON the admin API would return.
// Verbs that change state append events (AccountDrained, SettingChanged, ...) and apply them;
// every call is recorded in `calls` so tests can assert "nothing changed".
#pragma once

#include "quota/account_state.hpp"
#include "messages/operations.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace qg::test {

class TestOperations : public Operations {
 public:
  TestOperations();

  // Registers an account with one config window (requests per 60 s, `limit`).
  void add_account(const std::string& id, std::int64_t limit);
  // Appends an event for `account` (seq assigned), applying it to the account's state.
  void append(const std::string& account, EventPayload payload, TimeMs ts = 1'764'430'000'000);
  std::vector<std::string> calls_snapshot();
  // The calls that could change state (everything but status/accounts/get_setting/export).
  std::vector<std::string> mutations();
  std::uint64_t seq();
  std::string token;                      // last set_telegram_token
  std::function<void(const std::string&)> on_token;
  ForecastView forecast_view;             // what forecast() answers (set by the test)

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
  ActivityView activity(TimeMs, TimeMs) override { return {}; }
  ForecastView forecast() override { return forecast_view; }
  OpAnswer<RouteExplanation> explain_route(const std::string& model, const std::string& client_key,
                                           Dialect dialect) override;
  OpAnswer<Done> observe(const std::string& account, const QuotaObserved& q, const Requester& by) override;
  OpAnswer<RouteGrant> select(const std::string& model, const std::vector<std::string>& exclude, bool reserve,
                  const Usage& estimate) override;
  OpAnswer<RouteGrant> reserve(const std::string& account, const std::string& model, const Usage& estimate,
                   TimeMs ttl_ms) override;
  OpAnswer<Done> resolve(const std::string& reservation_id, Resolution how, const Usage& actual) override;
  OpAnswer<ReservationView> reservation(const std::string& reservation_id) override;
  OpAnswer<Done> feedback(const std::string& account, OutcomeKind kind, TimeMs retry_hint_ms) override;
  std::map<std::string, double> distribution() override;
  OpAnswer<Done> set_telegram_token(const std::string& token, const Requester& by) override;

 private:
  void record(const std::string& call);
  void append_locked(const std::string& account, EventPayload payload, TimeMs ts);
  std::mutex mu_;
  std::vector<AccountState> accounts_;
  std::vector<Event> events_;
  std::vector<std::string> calls_;
  RouterSettings settings_;  // the defaults: thresholds 85/90/95, balanced, no fallback chains
};

}  // namespace qg::test
