// tests/admin/state_operations.cpp — see state_operations.hpp.
#include "tests/admin/state_operations.hpp"
#include "messages/window_label.hpp"

#include "actors/control/activity_history.hpp"
#include "messages/event_codec.hpp"
#include "quota/account_view.hpp"
#include "quota/forecast.hpp"

#include <algorithm>

namespace qg::test {

void StateOperations::add_account(const std::string& id, AccountSpec spec) {
  std::lock_guard lock(mutex_);
  append(id, AccountRegistered{std::move(spec)});
}

std::vector<Event> StateOperations::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

std::vector<std::string> StateOperations::feedback_calls() const {
  std::lock_guard lock(mutex_);
  return feedback_;
}

std::string StateOperations::telegram_token() const {
  std::lock_guard lock(mutex_);
  return telegram_token_;
}

void StateOperations::append(const std::string& account, EventPayload payload) {
  Event e{state_.last_seq + 1, now, account, std::move(payload)};
  apply(state_, e);
  log_.push_back(std::move(e));
}

std::optional<OpFailure> StateOperations::propose(const std::string& account, EventPayload payload) {
  auto it = state_.accounts.find(account);
  if (it == state_.accounts.end() || it->second.removed)
    return OpFailure{OpError::unknown_account, "unknown account: " + account};
  const Validation v = validate(it->second, payload, now);
  if (v.verdict == Verdict::reject) return OpFailure{OpError::rejected, v.reason};
  if (v.verdict == Verdict::accept) append(account, std::move(payload));
  return std::nullopt;
}

OpAnswer<AccountCommandView> StateOperations::account_verb(const std::string& id, EventPayload payload) {
  std::lock_guard lock(mutex_);
  if (auto failure = propose(id, std::move(payload))) return OpAnswer<AccountCommandView>::fail(*failure);
  return {AccountCommandView{account_view(state_.accounts.at(id), now), ""}, std::nullopt};
}

StatusView StateOperations::status() {
  std::lock_guard lock(mutex_);
  StatusView v;
  v.uptime_s = 1;
  v.version = "test";
  v.journal_seq = state_.last_seq;
  for (const auto& [id, s] : state_.accounts) {
    ++v.accounts_by_state[to_string(status_at(s, now))];
    v.open_reservations += s.reservations.size();
  }
  return v;
}

std::vector<AccountView> StateOperations::accounts() {
  std::lock_guard lock(mutex_);
  std::vector<AccountView> list;
  for (const auto& [id, s] : state_.accounts)
    if (!s.removed) list.push_back(account_view(s, now));
  return list;
}

OpAnswer<AccountView> StateOperations::account(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = state_.accounts.find(id);
  if (it == state_.accounts.end() || it->second.removed)
    return OpAnswer<AccountView>::fail(OpError::unknown_account, "unknown account: " + id);
  return {account_view(it->second, now), std::nullopt};
}

OpAnswer<AccountCommandView> StateOperations::drain(const std::string& id, const Requester& by) {
  return account_verb(id, AccountDrained{by});
}

OpAnswer<AccountCommandView> StateOperations::resume(const std::string& id, const Requester& by) {
  return account_verb(id, AccountResumed{by});
}

OpAnswer<AccountCommandView> StateOperations::reset_cooldown(const std::string& id, const Requester&) {
  return account_verb(id, CooldownEnded{"operator"});
}

std::vector<ReservationView> StateOperations::reservations() {
  std::lock_guard lock(mutex_);
  std::vector<ReservationView> list;
  for (const auto& [id, s] : state_.accounts)
    for (const auto& [rid, r] : s.reservations) list.push_back(reservation_view(id, r));
  return list;
}

OpAnswer<SettingView> StateOperations::get_setting(const std::string& key) {
  using Answer = OpAnswer<SettingView>;
  std::lock_guard lock(mutex_);
  if (key != "thresholds" && key != "policy" && key != "fallbacks")
    return Answer::fail(OpError::not_found, "unknown setting: " + key);
  return {SettingView{operator_setting(key), settings_}, std::nullopt};
}

OpAnswer<SettingView> StateOperations::put_setting(const std::string& key, const nlohmann::json& value,
                                                    const Requester& by) {
  using Answer = OpAnswer<SettingView>;
  std::lock_guard lock(mutex_);
  if (key == "thresholds") {
    for (const char* f : {"warning", "switch", "critical"})
      if (!value.contains(f) || !value[f].is_number())
        return Answer::fail(OpError::invalid_argument, std::string(f) + ": must be a number");
    if (!(value["warning"] < value["switch"] && value["switch"] < value["critical"]))
      return Answer::fail(OpError::invalid_argument, "switch: must lie between warning and critical");
  } else if (key == "policy") {
    if (!value.contains("policy") || !value["policy"].is_string())
      return Answer::fail(OpError::invalid_argument, "policy: must be a string");
  } else if (key == "fallbacks") {
    if (!value.contains("fallback_chains") || !value["fallback_chains"].is_object())
      return Answer::fail(OpError::invalid_argument, "fallback_chains: must be an object");
  }
  if (key == "thresholds")
    settings_.thresholds = {value["warning"].get<double>(), value["switch"].get<double>(), value["critical"].get<double>()};
  else if (key == "policy" && policy_from_string(value["policy"].get<std::string>()))
    settings_.policy = *policy_from_string(value["policy"].get<std::string>());
  else if (key == "fallbacks")
    settings_.fallback_chains = value["fallback_chains"].get<std::map<std::string, std::vector<std::string>>>();
  append("", SettingChanged{"router." + key, value.dump(), by});
  return {SettingView{operator_setting(key), settings_}, std::nullopt};
}

OpAnswer<ReloadView> StateOperations::reload(const Requester&) { return {}; }

OpAnswer<ImportView> StateOperations::import_accounts(const std::string& auth_dir, const Requester&) {
  if (auth_dir == "/nonexistent")
    return OpAnswer<ImportView>::fail(OpError::invalid_argument, "path: /nonexistent does not exist");
  ImportView v;
  v.auth_dir = auth_dir;
  return {v, std::nullopt};
}

OpAnswer<AuthFoldersView> StateOperations::auth_folders() { return {AuthFoldersView{"/tmp/auth", {}}, std::nullopt}; }

OpAnswer<ForgetFolderView> StateOperations::forget_folder(const std::string& path, const Requester&) {
  if (path != "/tmp/imported")
    return OpAnswer<ForgetFolderView>::fail(OpError::not_found, "path: " + path + " is not an imported folder");
  return {ForgetFolderView{path, {}, {}}, std::nullopt};
}

std::string StateOperations::export_yaml() {
  return "server:\n  listen: \"127.0.0.1:8318\"\n  admin_token: \"<redacted>\"\n";
}

OpAnswer<EventPage> StateOperations::events(std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  OpAnswer<EventPage> out;
  out.value.next_after = after;
  for (const auto& e : log_)
    if (e.seq > after && out.value.events.size() < limit) {
      out.value.events.push_back(e);
      out.value.next_after = e.seq;
    }
  return out;
}

OpAnswer<RouteExplanation> StateOperations::explain_route(const std::string& model, const std::string&, Dialect) {
  std::lock_guard lock(mutex_);
  RouteExplanation x;
  x.model = model;
  for (const auto& [id, s] : state_.accounts)
    if (serves_model(s.spec, model)) {
      ExplainedCandidate c;
      c.account = id;
      c.used_percent_after = max_used_percent(s);
      x.candidates.push_back(std::move(c));
    }
  return {std::move(x), std::nullopt};
}

ActivityView StateOperations::activity(TimeMs span_ms, TimeMs bucket_ms) {
  std::lock_guard lock(mutex_);
  ActivityHistory history;
  for (const auto& e : log_) history.apply(e);
  history.prune(now);
  return history.view(now, span_ms, bucket_ms);
}

ForecastView StateOperations::forecast() {
  std::lock_guard lock(mutex_);
  return qg::forecast(state_.accounts, RouterSettings{}, now);
}

OpAnswer<Done> StateOperations::observe(const std::string& account, const QuotaObserved& q, const Requester&) {
  std::lock_guard lock(mutex_);
  if (auto failure = propose(account, q)) return OpAnswer<Done>::fail(*failure);
  return {};
}

OpAnswer<RouteGrant> StateOperations::select(const std::string& model, const std::vector<std::string>& exclude,
                                             bool reserve, const Usage& estimate) {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [id, s] : state_.accounts) {
    if (std::find(exclude.begin(), exclude.end(), id) != exclude.end()) continue;
    if (status_at(s, now) != AccountStatus::active || !serves_model(s.spec, model)) continue;
    if (!admission_refusal(s, estimate, now).empty()) continue;
    ranked.push_back({max_used_percent(s), id});
  }
  OpAnswer<RouteGrant> out;
  RouteGrant& g = out.value;
  if (ranked.empty()) {
    g.http_status = 429;
    g.error_code = "quota_exhausted";
    g.error_message = "no account can serve " + model;
    g.retry_after_s = 30;
    return out;
  }
  std::sort(ranked.begin(), ranked.end());
  const auto& best = state_.accounts.at(ranked.front().second);
  if (reserve) {
    out = reserve_locked(best.id, model, estimate, 0);
    if (!out.ok() || !g.ok) return out;
  }
  g.ok = true;
  g.account_id = best.id;
  g.provider = best.spec.provider;
  g.model_used = model;
  g.score = 1.0 - ranked.front().first / 100.0;
  g.reason = "most remaining";
  for (std::size_t i = 1; i < ranked.size(); ++i) g.alternatives.push_back(ranked[i].second);
  return out;
}

OpAnswer<RouteGrant> StateOperations::reserve_locked(const std::string& account, const std::string& model,
                                                     const Usage& estimate, TimeMs ttl_ms) {
  const std::string id = "res_test_" + std::to_string(next_reservation_++);
  const TimeMs expires = now + (ttl_ms > 0 ? ttl_ms : 600'000);
  if (auto failure = propose(account, ReservationCreated{id, model, estimate, expires}))
    return OpAnswer<RouteGrant>::fail(*failure);
  reservation_account_[id] = account;
  OpAnswer<RouteGrant> out;
  out.value.ok = true;
  out.value.account_id = account;
  out.value.reservation_id = id;
  out.value.model_used = model;
  out.value.expires_at = expires;
  return out;
}

OpAnswer<RouteGrant> StateOperations::reserve(const std::string& account, const std::string& model,
                                              const Usage& estimate, TimeMs ttl_ms) {
  std::lock_guard lock(mutex_);
  return reserve_locked(account, model, estimate, ttl_ms);
}

OpAnswer<Done> StateOperations::resolve(const std::string& id, Resolution how, const Usage& actual) {
  std::lock_guard lock(mutex_);
  auto it = reservation_account_.find(id);
  if (it == reservation_account_.end()) return OpAnswer<Done>::fail(OpError::not_found, "unknown reservation: " + id);
  if (resolved_.count(id))
    return OpAnswer<Done>::fail(OpError::rejected, "reservation " + id + " is already " + resolved_[id]);
  EventPayload p = how == Resolution::commit
                       ? EventPayload(ReservationCommitted{id, actual, false})
                       : EventPayload(ReservationReleased{id, how == Resolution::cancel ? "cancel" : "release"});
  if (auto failure = propose(it->second, std::move(p))) return OpAnswer<Done>::fail(*failure);
  resolved_[id] = resolved_status(how);
  return {};
}

OpAnswer<ReservationView> StateOperations::reservation(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = reservation_account_.find(id);
  if (it == reservation_account_.end())
    return OpAnswer<ReservationView>::fail(OpError::not_found, "unknown reservation: " + id);
  const auto& s = state_.accounts.at(it->second);
  // Like the daemon's: a resolved reservation no longer names its account.
  OpAnswer<ReservationView> out;
  if (auto r = s.reservations.find(id); r != s.reservations.end()) {
    out.value = reservation_view(it->second, r->second);
  } else {
    out.value.id = id;
    out.value.status = resolved_.count(id) ? resolved_[id] : "expired";
  }
  return out;
}

OpAnswer<Done> StateOperations::feedback(const std::string& account, OutcomeKind kind, TimeMs) {
  std::lock_guard lock(mutex_);
  if (!state_.accounts.count(account)) return OpAnswer<Done>::fail(OpError::unknown_account, "unknown account: " + account);
  feedback_.push_back(account + ":" + to_string(kind));
  if (kind == OutcomeKind::rate_limited)
    append(account, CooldownStarted{now + 60'000, "rate_limited", "advisory feedback", 0});
  return {};
}

std::map<std::string, double> StateOperations::distribution() {
  std::lock_guard lock(mutex_);
  std::map<std::string, double> out;
  double total = 0;
  for (const auto& [id, s] : state_.accounts)
    if (status_at(s, now) == AccountStatus::active) total += 100.0 - max_used_percent(s);
  for (const auto& [id, s] : state_.accounts)
    if (status_at(s, now) == AccountStatus::active && total > 0)
      out[id] = (100.0 - max_used_percent(s)) * 100.0 / total;
  return out;
}

OpAnswer<Done> StateOperations::set_telegram_token(const std::string& token, const Requester&) {
  std::lock_guard lock(mutex_);
  telegram_token_ = token;
  return {};
}

}  // namespace qg::test
