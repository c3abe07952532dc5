// actors/control/core_operations.hpp — qg::Operations over the running core (see operations.hpp).
//
// Every verb is validation + one message to the actor that owns the state; the JSON shapes
// are INTERFACE §4's. Reads (status, accounts) ask the actors for their live state.
#pragma once

#include "actors/control/activity_history.hpp"
#include "messages/operations.hpp"
#include "config/config.hpp"
#include "quota/account_state.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qg {

class Core;

class CoreOperations : public Operations {
 public:
  explicit CoreOperations(Core& core);

  // Where reload re-reads the config from (set by `serve`: same flags/env as at start).
  using ConfigSource = std::function<std::optional<Config>(std::string& error)>;
  void set_config_source(ConfigSource source);
  // Called after a successful reload with the new config (e.g. to refresh credentials).
  void on_reload(std::function<void(const Config&)> listener);
  // How set_telegram_token checks and stores a bot token (installed by `serve`, which links
  // the bot: telegram/bot_settings.hpp), given the token and the config's telegram.token it
  // overrides; refuses invalid_argument for a malformed token, unavailable when it cannot be
  // stored. Without one, set_telegram_token answers unavailable.
  using TokenStore = std::function<OpAnswer<Done>(const std::string& token, const std::string& config_token)>;
  void set_token_store(TokenStore store);
  // Called after set_telegram_token stored a token, so the bot picks it up without restart.
  void on_token_stored(std::function<void(const std::string&)> listener);
  // The CLIProxyAPI auth folders (the CLIProxyAPI module installs it): import_accounts,
  // auth_folders and forget_folder ask it; without one they answer 503.
  class AuthFolderService {
   public:
    virtual ~AuthFolderService() = default;
    virtual OpAnswer<ImportView> import_folder(const std::string& path, const Requester& by) = 0;
    virtual OpAnswer<AuthFoldersView> list_folders() = 0;
    virtual OpAnswer<ForgetFolderView> forget_folder(const std::string& path, const Requester& by) = 0;
  };
  void set_auth_folder_service(std::shared_ptr<AuthFolderService> service);
  // The cluster part of status() (the leadership module installs it); without one status
  // shows a lone sqlite node.
  void set_cluster_source(std::function<ClusterView()> source);

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
  ActivityView activity(TimeMs span_ms, TimeMs bucket_ms) override;
  ForecastView forecast() override;
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
  // The forecast of `states` at `now` under the router's effective settings.
  ForecastView forecast_of(const std::map<std::string, AccountState>& states, TimeMs now);
  // Proposes `payload` to account `id`: a refusal, or the reply's note ("" or why it was a no-op).
  OpAnswer<std::string> account_command(const std::string& id, EventPayload payload);
  OpAnswer<AccountCommandView> account_verb(const std::string& id, EventPayload payload);
  std::shared_ptr<AuthFolderService> folder_service();
  void remember_resolution(const std::string& id, const std::string& status);
  // The account holding open reservation `reservation_id` and its state: the directory's index
  // first (advisory reservations), else every account (reservations the proxy made).
  std::optional<std::pair<std::string, AccountState>> holder_of(const std::string& reservation_id);

  Core& core_;
  std::mutex mutex_;
  ConfigSource config_source_;
  TokenStore token_store_;
  std::shared_ptr<AuthFolderService> folders_;
  std::function<ClusterView()> cluster_source_;
  std::vector<std::function<void(const std::string&)>> token_listeners_;
  std::vector<std::function<void(const Config&)>> reload_listeners_;
  std::unordered_map<std::string, std::string> resolved_;  // recent reservation id -> status
  // activity(): the read model, caught up with the log on each call (only new events are read).
  std::mutex activity_mutex_;
  ActivityHistory activity_;
  std::uint64_t activity_seq_ = 0;   // events up to here are folded into activity_
  bool activity_started_ = false;
};

}  // namespace qg
