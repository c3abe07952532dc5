// actors/control/core_operations.cpp — the operator verbs over the actors.
#include "actors/control/core_operations.hpp"

#include "quota/account_state.hpp"
#include "quota/config_sync.hpp"
#include "actors/control/core.hpp"
#include "actors/control/core_proxy_backend.hpp"
#include "quota/circuit_breaker.hpp"
#include "quota/router_settings.hpp"
#include "config/config_yaml.hpp"
#include "messages/event_codec.hpp"
#include "messages/account_json.hpp"
#include "messages/text_bounds.hpp"
#include "quota/account_view.hpp"
#include "quota/forecast.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace qg {

using json = nlohmann::json;

namespace {

// A refusal of a typed verb (OpError) whatever the value type.
OpFailure invalid(std::string what) { return OpFailure{OpError::invalid_argument, std::move(what)}; }
// Item 9: a client's name past its bound (messages/text_bounds.hpp) is refused before it is
// looked up, stored or echoed; "" fields are the verbs' own rule.
std::optional<OpFailure> name_failure(std::string_view field, std::string_view value) {
  if (std::string why = name_refusal(field, value); !why.empty()) return invalid(why);
  return std::nullopt;
}
// A refused account command: the event log could not take it, or the state rejects it.
OpFailure command_failure(const CommandReply& r) {
  return OpFailure{r.code == ReplyCode::journal_unavailable ? OpError::journal_unavailable : OpError::rejected, r.error};
}


// The views of `states` at `now`, each window with its forecast.
std::vector<AccountView> account_views(const std::map<std::string, AccountState>& states, TimeMs now,
                                       const ForecastView& forecast) {
  std::vector<AccountView> out;
  out.reserve(states.size());
  for (const auto& [id, s] : states) out.push_back(account_view(s, now));
  attach_forecasts(out, forecast);
  return out;
}

}  // namespace

CoreOperations::CoreOperations(Core& core) : core_(core) {}

void CoreOperations::set_config_source(ConfigSource source) {
  std::lock_guard lock(mutex_);
  config_source_ = std::move(source);
}

void CoreOperations::on_reload(std::function<void(const Config&)> listener) {
  std::lock_guard lock(mutex_);
  reload_listeners_.push_back(std::move(listener));
}

StatusView CoreOperations::status() {
  const TimeMs now = core_.now();
  const auto states = core_.account_states();
  const auto router = core_.router_snapshot();
  StatusView v;
  v.version = QG_VERSION;
  v.uptime_s = (now - core_.started_at()) / 1000;
  v.journal_seq = core_.journal_seq();    // the log's read-only connection: no commit forced
  v.snapshot_seq = core_.snapshot_seq();
  v.accounts = states.size();
  for (auto st : {AccountStatus::active, AccountStatus::draining, AccountStatus::cooldown,
                  AccountStatus::disabled, AccountStatus::exhausted})
    v.accounts_by_state[to_string(st)] = 0;
  for (const auto& [id, s] : states) {
    AccountState rolled = s;
    roll_windows(rolled, now);
    ++v.accounts_by_state[to_string(status_at(rolled, now))];
    v.open_reservations += s.reservations.size();
  }
  v.sticky_routes = router.sticky;
  v.components = core_.health_board().all();
  if (router.settings) v.settings = *router.settings;
  std::function<ClusterView()> cluster;
  {
    std::lock_guard lock(mutex_);
    cluster = cluster_source_;
  }
  if (cluster) v.cluster = cluster();
  return v;
}

std::vector<AccountView> CoreOperations::accounts() {
  const TimeMs now = core_.now();
  const auto states = core_.account_states();
  return account_views(states, now, forecast_of(states, now));
}

OpAnswer<AccountView> CoreOperations::account(const std::string& id) {
  if (std::string why = name_refusal("account id", id); !why.empty())
    return OpAnswer<AccountView>::fail(OpError::invalid_argument, why);
  auto s = core_.account_state(id);
  if (!s) return OpAnswer<AccountView>::fail(OpError::unknown_account, "unknown account " + id);
  const TimeMs now = core_.now();
  const std::map<std::string, AccountState> one{{id, *s}};
  OpAnswer<AccountView> out;
  out.value = std::move(account_views(one, now, forecast_of(one, now)).at(0));
  return out;
}

ForecastView CoreOperations::forecast_of(const std::map<std::string, AccountState>& states, TimeMs now) {
  const RouterSnapshot snap = core_.router_snapshot();
  return qg::forecast(states, snap.settings ? *snap.settings : RouterSettings{}, now);
}

ForecastView CoreOperations::forecast() { return forecast_of(core_.account_states(), core_.now()); }

OpAnswer<std::string> CoreOperations::account_command(const std::string& id, EventPayload payload) {
  if (auto bad = name_failure("account id", id)) return OpAnswer<std::string>::fail(*bad);
  if (!core_.account_state(id)) return OpAnswer<std::string>::fail(OpError::unknown_account, "unknown account " + id);
  const CommandReply r = core_.propose(id, std::move(payload));
  if (!r.ok) return OpAnswer<std::string>::fail(command_failure(r));
  return {r.error, std::nullopt};  // a no-op says why: "already draining", ...
}

OpAnswer<AccountCommandView> CoreOperations::account_verb(const std::string& id, EventPayload payload) {
  auto done = account_command(id, std::move(payload));
  if (!done.ok()) return OpAnswer<AccountCommandView>::fail(*done.failure);
  auto view = account(id);
  if (!view.ok()) return OpAnswer<AccountCommandView>::fail(*view.failure);
  return {AccountCommandView{std::move(view.value), std::move(done.value)}, std::nullopt};
}

OpAnswer<AccountCommandView> CoreOperations::drain(const std::string& id, const Requester& by) {
  return account_verb(id, AccountDrained{by});
}
OpAnswer<AccountCommandView> CoreOperations::resume(const std::string& id, const Requester& by) {
  return account_verb(id, AccountResumed{by});
}
OpAnswer<AccountCommandView> CoreOperations::reset_cooldown(const std::string& id, const Requester& by) {
  return account_verb(id, CooldownEnded{"operator:" + by});
}

std::vector<ReservationView> CoreOperations::reservations() {
  std::vector<ReservationView> list;
  for (const auto& [id, s] : core_.account_states())
    for (const auto& [rid, r] : s.reservations) list.push_back(reservation_view(id, r));
  return list;
}

OpAnswer<SettingView> CoreOperations::get_setting(const std::string& key) {
  const OperatorSetting* setting = operator_setting(key);
  if (!setting) return OpAnswer<SettingView>::fail(OpError::not_found, "unknown setting " + key);
  const RouterSnapshot snap = core_.router_snapshot();
  SettingView v{setting, std::nullopt};
  if (snap.settings) v.settings = *snap.settings;
  return {std::move(v), std::nullopt};
}

OpAnswer<SettingView> CoreOperations::put_setting(const std::string& key, const json& body, const Requester& by) {
  using Answer = OpAnswer<SettingView>;
  const OperatorSetting* route = operator_setting(key);
  if (!route) return Answer::fail(OpError::not_found, "unknown setting " + key);
  json value = body;
  if (!route->field.empty() && body.is_object()) {
    if (!body.contains(route->field)) return Answer::fail(invalid(std::string(route->field) + ": required"));
    value = body[std::string(route->field)];
  }
  if (route->field.empty() && !body.is_object()) return Answer::fail(invalid(key + ": must be a JSON object"));
  CommandReply r;
  caf::scoped_actor self{core_.system()};
  self->request(core_.router(), caf::infinite, setting_atom::value, std::string(route->router_key),
                value.dump(), by)
      .receive([&](CommandReply& reply) { r = std::move(reply); },
               [&](caf::error& e) {
                 r = CommandReply{false, 0, "event log unavailable: " + caf::to_string(e),
                                  ReplyCode::journal_unavailable};
               });
  if (!r.ok)
    return Answer::fail(r.code == ReplyCode::journal_unavailable ? OpError::journal_unavailable : OpError::invalid_argument,
                        r.error);
  return get_setting(key);
}

OpAnswer<ReloadView> CoreOperations::reload(const Requester& by) {
  ConfigSource source;
  {
    std::lock_guard lock(mutex_);
    source = config_source_;
  }
  if (!source) return OpAnswer<ReloadView>::fail(OpError::unavailable, "reload is not available (no config source)");
  std::string error;
  auto next = source(error);
  if (!next) return OpAnswer<ReloadView>::fail(OpError::invalid_argument, error);
  std::vector<std::string> left_to_others;
  auto events = account_sync_events(next->accounts, core_.account_states(), core_.now(), core_.node_id(), &left_to_others);
  for (const auto& id : left_to_others)
    spdlog::warn("config reload: account {} was registered by another node with another spec; left as it is", id);
  auto errors = core_.apply_account_events(events);
  CommandReply r;
  caf::scoped_actor self{core_.system()};
  self->request(core_.router(), caf::infinite, config_atom::value, router_settings_from(next->router))
      .receive([&](CommandReply& reply) { r = reply; }, [&](caf::error& e) { r.error = caf::to_string(e); });
  core_.set_config(*next);
  std::vector<std::function<void(const Config&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = reload_listeners_;
  }
  for (auto& l : listeners) l(*next);
  spdlog::info("config reloaded by {}: {} account change(s)", by, events.size());
  OpAnswer<ReloadView> out;
  for (const auto& e : events) out.value.account_changes.push_back({e.account, std::string(event_type(e))});
  out.value.errors = std::move(errors);
  return out;
}

std::shared_ptr<CoreOperations::AuthFolderService> CoreOperations::folder_service() {
  std::lock_guard lock(mutex_);
  return folders_;
}

constexpr const char* kNoDiscovery = "CLIProxyAPI discovery is not running";

OpAnswer<ImportView> CoreOperations::import_accounts(const std::string& auth_dir, const Requester& by) {
  if (std::string why = text_refusal("path", auth_dir); !why.empty()) return OpAnswer<ImportView>::fail(invalid(why));
  auto service = folder_service();
  return service ? service->import_folder(auth_dir, by) : OpAnswer<ImportView>::fail(OpError::unavailable, kNoDiscovery);
}

OpAnswer<AuthFoldersView> CoreOperations::auth_folders() {
  auto service = folder_service();
  return service ? service->list_folders() : OpAnswer<AuthFoldersView>::fail(OpError::unavailable, kNoDiscovery);
}

OpAnswer<ForgetFolderView> CoreOperations::forget_folder(const std::string& path, const Requester& by) {
  if (std::string why = text_refusal("path", path); !why.empty()) return OpAnswer<ForgetFolderView>::fail(invalid(why));
  auto service = folder_service();
  return service ? service->forget_folder(path, by) : OpAnswer<ForgetFolderView>::fail(OpError::unavailable, kNoDiscovery);
}

std::string CoreOperations::export_yaml() {
  Config effective = core_.config();
  const RouterSnapshot snap = core_.router_snapshot();
  store_router_settings(effective.router, snap.settings ? *snap.settings : RouterSettings{});
  return config_to_yaml(effective, /*redact=*/true);
}

OpAnswer<EventPage> CoreOperations::events(std::uint64_t after, std::size_t limit) {
  if (limit == 0 || limit > 10'000)
    return OpAnswer<EventPage>::fail(OpError::invalid_argument, "limit: must be between 1 and 10000");
  OpAnswer<EventPage> out;
  core_.wait_for_log();  // every request already answered is in the page (its commit included)
  out.value.events = core_.read_events(after, limit);
  out.value.next_after = out.value.events.empty() ? after : out.value.events.back().seq;
  return out;
}

ActivityView CoreOperations::activity(TimeMs span_ms, TimeMs bucket_ms) {
  constexpr std::size_t kBatch = 5000;
  std::lock_guard lock(activity_mutex_);
  const TimeMs now = core_.now();
  if (!activity_started_) {
    // Start where the horizon starts rather than at seq 1: a long log is read once, from there.
    const std::uint64_t first = core_.first_seq_since(ActivityHistory::oldest_needed(now));
    activity_seq_ = first > 0 ? first - 1 : 0;
    activity_started_ = true;
  }
  for (;;) {
    const auto batch = core_.read_events(activity_seq_, kBatch);
    for (const auto& e : batch) {
      activity_.apply(e);
      activity_seq_ = e.seq;
    }
    if (batch.size() < kBatch) break;
  }
  activity_.prune(now);
  return activity_.view(now, span_ms, bucket_ms);
}

OpAnswer<RouteExplanation> CoreOperations::explain_route(const std::string& model, const std::string& client_key,
                                                         Dialect dialect) {
  using Answer = OpAnswer<RouteExplanation>;
  if (model.empty()) return Answer::fail(invalid("model: required"));
  if (auto bad = name_failure("model", model)) return Answer::fail(*bad);
  if (auto bad = name_failure("client_key", client_key)) return Answer::fail(*bad);
  RouteRequest request;
  request.model = model;
  request.client_key = client_key;
  request.dialect = dialect;
  request.estimate = estimate_usage(0, core_.config().reservations.default_max_tokens);
  std::optional<RouteExplanation> explanation;
  caf::scoped_actor self{core_.system()};
  self->request(core_.router(), caf::infinite, explain_atom::value, request)
      .receive([&](RouteExplanation& e) { explanation = std::move(e); }, [](caf::error&) {});
  if (!explanation) return Answer::fail(OpError::unavailable, "router did not answer");
  return {std::move(*explanation), std::nullopt};
}

OpAnswer<Done> CoreOperations::observe(const std::string& account, const QuotaObserved& q, const Requester& by) {
  if (auto bad = name_failure("account_id", account)) return OpAnswer<Done>::fail(*bad);
  if (q.windows.empty()) return OpAnswer<Done>::fail(invalid("dimensions: at least one window is required"));
  if (auto s = core_.account_state(account); s && observed_windows_after(*s, q) > kMaxObservedWindows)
    return OpAnswer<Done>::fail(invalid("dimensions: an account holds at most " + std::to_string(kMaxObservedWindows) +
                                        " observed windows (distinct metric and window)"));
  (void)by;
  auto done = account_command(account, q);
  if (!done.ok()) return OpAnswer<Done>::fail(*done.failure);
  return {};
}

OpAnswer<RouteGrant> CoreOperations::select(const std::string& model, const std::vector<std::string>& exclude,
                                            bool reserve, const Usage& estimate) {
  if (auto bad = name_failure("model", model)) return OpAnswer<RouteGrant>::fail(*bad);
  for (const auto& id : exclude)
    if (auto bad = name_failure("exclude_accounts[]", id)) return OpAnswer<RouteGrant>::fail(*bad);
  RouteRequest request;
  request.model = model;
  request.exclude = exclude;
  request.reserve = reserve;
  request.estimate = estimate;
  request.ttl_ms = core_.config().reservations.ttl.count();
  OpAnswer<RouteGrant> out{core_.route(std::move(request)), std::nullopt};
  RouteGrant& g = out.value;
  if (!g.ok) return out;
  if (!g.reservation_id.empty()) core_.directory().note_reservation(g.reservation_id, g.account_id);
  if (g.provider.empty())  // decided without a reservation: the account's spec names it
    if (auto spec = core_.directory().spec(g.account_id)) g.provider = spec->provider;
  return out;
}

OpAnswer<RouteGrant> CoreOperations::reserve(const std::string& account, const std::string& model,
                                             const Usage& estimate, TimeMs ttl_ms) {
  if (auto bad = name_failure("account_id", account)) return OpAnswer<RouteGrant>::fail(*bad);
  if (auto bad = name_failure("model", model)) return OpAnswer<RouteGrant>::fail(*bad);
  if (!core_.directory().handle(account))
    return OpAnswer<RouteGrant>::fail(OpError::unknown_account, "unknown account " + account);
  RouteRequest request;
  request.account = account;
  request.model = model;
  request.estimate = estimate;
  request.ttl_ms = ttl_ms > 0 ? ttl_ms : core_.config().reservations.ttl.count();
  OpAnswer<RouteGrant> out{core_.route(std::move(request)), std::nullopt};
  if (out.value.ok) core_.directory().note_reservation(out.value.reservation_id, out.value.account_id);
  return out;
}

void CoreOperations::remember_resolution(const std::string& id, const std::string& status) {
  std::lock_guard lock(mutex_);
  if (resolved_.size() > 100'000) resolved_.clear();
  resolved_[id] = status;
}

OpAnswer<Done> CoreOperations::resolve(const std::string& reservation_id, Resolution how, const Usage& actual) {
  if (auto bad = name_failure("reservation id", reservation_id)) return OpAnswer<Done>::fail(*bad);
  if (auto held = holder_of(reservation_id)) {
    const std::string& account = held->first;
    EventPayload p = how == Resolution::commit
                         ? EventPayload{ReservationCommitted{reservation_id, actual, false}}
                         : EventPayload{ReservationReleased{reservation_id, how == Resolution::cancel ? "cancel" : "release"}};
    const CommandReply r = core_.propose(account, std::move(p));
    if (!r.ok) return OpAnswer<Done>::fail(command_failure(r));
    remember_resolution(reservation_id, resolved_status(how));
    core_.directory().forget_reservation(reservation_id);
    return {};
  }
  std::lock_guard lock(mutex_);
  if (auto it = resolved_.find(reservation_id); it != resolved_.end())
    return OpAnswer<Done>::fail(OpError::rejected, "reservation " + reservation_id + " is already " + it->second);
  return OpAnswer<Done>::fail(OpError::not_found, "reservation " + reservation_id + " not found");
}

std::optional<std::pair<std::string, AccountState>> CoreOperations::holder_of(const std::string& reservation_id) {
  if (auto account = core_.directory().reservation_account(reservation_id)) {
    if (auto s = core_.account_state(*account); s && s->reservations.count(reservation_id))
      return std::make_pair(*account, std::move(*s));
  }
  for (auto& [account, s] : core_.account_states())
    if (s.reservations.count(reservation_id)) return std::make_pair(account, std::move(s));
  return std::nullopt;
}

OpAnswer<ReservationView> CoreOperations::reservation(const std::string& reservation_id) {
  if (std::string why = name_refusal("reservation id", reservation_id); !why.empty())
    return OpAnswer<ReservationView>::fail(OpError::invalid_argument, why);
  OpAnswer<ReservationView> out;
  if (auto held = holder_of(reservation_id)) {
    out.value = reservation_view(held->first, held->second.reservations.at(reservation_id));
    return out;
  }
  std::lock_guard lock(mutex_);
  if (auto it = resolved_.find(reservation_id); it != resolved_.end()) {
    out.value.id = reservation_id;
    out.value.status = it->second;
    return out;
  }
  return OpAnswer<ReservationView>::fail(OpError::not_found, "reservation " + reservation_id + " not found");
}

OpAnswer<Done> CoreOperations::feedback(const std::string& account, OutcomeKind kind, TimeMs retry_hint_ms) {
  if (auto bad = name_failure("account_id", account)) return OpAnswer<Done>::fail(*bad);
  if (!core_.directory().handle(account))
    return OpAnswer<Done>::fail(OpError::unknown_account, "unknown account " + account);
  UpstreamOutcome o;
  o.kind = kind;
  o.signals.cooldown_until = retry_hint_ms > 0 ? core_.now() + retry_hint_ms : 0;
  core_.report(account, o);
  return {};
}

std::map<std::string, double> CoreOperations::distribution() {
  const TimeMs now = core_.now();
  std::map<std::string, double> headroom;
  double total = 0;
  for (auto [id, s] : core_.account_states()) {
    roll_windows(s, now);
    if (status_at(s, now) != AccountStatus::active) continue;
    const double h = std::max(0.0, 100.0 - max_used_percent(s));
    if (h <= 0) continue;
    headroom[id] = h;
    total += h;
  }
  for (auto& [id, h] : headroom) h = h / total * 100.0;
  return headroom;
}

void CoreOperations::set_auth_folder_service(std::shared_ptr<AuthFolderService> service) {
  std::lock_guard lock(mutex_);
  folders_ = std::move(service);
}

void CoreOperations::set_cluster_source(std::function<ClusterView()> source) {
  std::lock_guard lock(mutex_);
  cluster_source_ = std::move(source);
}

void CoreOperations::on_token_stored(std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  token_listeners_.push_back(std::move(listener));
}

void CoreOperations::set_token_store(TokenStore store) {
  std::lock_guard lock(mutex_);
  token_store_ = std::move(store);
}

OpAnswer<Done> CoreOperations::set_telegram_token(const std::string& token, const Requester& by) {
  TokenStore store;
  {
    std::lock_guard lock(mutex_);
    store = token_store_;
  }
  if (!store) return OpAnswer<Done>::fail(OpError::unavailable, "no Telegram token store in this process");
  OpAnswer<Done> stored = store(token, core_.config().telegram.token);
  if (!stored.ok()) return stored;
  std::vector<std::function<void(const std::string&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = token_listeners_;
  }
  for (auto& listener : listeners) listener(token);
  spdlog::info("telegram bot token replaced by {}", by);
  return {};
}

}  // namespace qg
