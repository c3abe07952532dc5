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

OpResult StateOperations::propose(const std::string& account, EventPayload payload,
                                  nlohmann::json ok_body) {
  auto it = state_.accounts.find(account);
  if (it == state_.accounts.end() || it->second.removed)
    return OpResult::failure(404, "not_found", "unknown account: " + account);
  const Validation v = validate(it->second, payload, now);
  if (v.verdict == Verdict::reject) return OpResult::failure(409, "conflict", v.reason);
  if (v.verdict == Verdict::accept) append(account, std::move(payload));
  return OpResult::success(std::move(ok_body));
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

OpResult StateOperations::drain(const std::string& id, const Requester& by) {
  std::lock_guard lock(mutex_);
  return propose(id, AccountDrained{by}, {{"id", id}, {"state", "draining"}});
}

OpResult StateOperations::resume(const std::string& id, const Requester& by) {
  std::lock_guard lock(mutex_);
  return propose(id, AccountResumed{by}, {{"id", id}, {"state", "active"}});
}

OpResult StateOperations::reset_cooldown(const std::string& id, const Requester&) {
  std::lock_guard lock(mutex_);
  return propose(id, CooldownEnded{"operator"}, {{"id", id}});
}

std::vector<ReservationView> StateOperations::reservations() {
  std::lock_guard lock(mutex_);
  std::vector<ReservationView> list;
  for (const auto& [id, s] : state_.accounts)
    for (const auto& [rid, r] : s.reservations) list.push_back(reservation_view(id, r));
  return list;
}

OpResult StateOperations::get_setting(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (key == "thresholds" && !settings_.count(key))
    return OpResult::success({{"warning", 85}, {"switch", 90}, {"critical", 95}});
  if (key == "policy" && !settings_.count(key)) return OpResult::success({{"policy", "balanced"}});
  if (key == "fallbacks" && !settings_.count(key))
    return OpResult::success({{"fallback_chains", nlohmann::json::object()}});
  if (!settings_.count(key)) return OpResult::failure(404, "not_found", "unknown setting: " + key);
  return OpResult::success(settings_[key]);
}

OpResult StateOperations::put_setting(const std::string& key, const nlohmann::json& value,
                                      const Requester& by) {
  std::lock_guard lock(mutex_);
  if (key == "thresholds") {
    for (const char* f : {"warning", "switch", "critical"})
      if (!value.contains(f) || !value[f].is_number())
        return OpResult::failure(400, "invalid_request", std::string(f) + ": must be a number");
    if (!(value["warning"] < value["switch"] && value["switch"] < value["critical"]))
      return OpResult::failure(400, "invalid_request",
                               "switch: must lie between warning and critical");
  } else if (key == "policy") {
    if (!value.contains("policy") || !value["policy"].is_string())
      return OpResult::failure(400, "invalid_request", "policy: must be a string");
  } else if (key == "fallbacks") {
    if (!value.contains("fallback_chains") || !value["fallback_chains"].is_object())
      return OpResult::failure(400, "invalid_request", "fallback_chains: must be an object");
  }
  settings_[key] = value;
  append("", SettingChanged{"router." + key, value.dump(), by});
  return OpResult::success(value);
}

OpResult StateOperations::reload(const Requester&) { return OpResult::success({{"changes", 0}}); }

OpResult StateOperations::import_accounts(const std::string& auth_dir, const Requester&) {
  if (auth_dir == "/nonexistent")
    return OpResult::failure(400, "invalid_request", "path: /nonexistent does not exist");
  return OpResult::success({{"path", auth_dir}, {"accounts", nlohmann::json::array()}});
}

OpResult StateOperations::auth_folders() {
  return OpResult::success({{"configured", "/tmp/auth"}, {"imported", nlohmann::json::array()}});
}

OpResult StateOperations::forget_folder(const std::string& path, const Requester&) {
  if (path != "/tmp/imported") return OpResult::failure(404, "not_found", "path: " + path + " is not an imported folder");
  return OpResult::success({{"path", path}, {"removed", nlohmann::json::array()}});
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

OpResult StateOperations::explain_route(const std::string& model, const std::string&, Dialect) {
  std::lock_guard lock(mutex_);
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& [id, s] : state_.accounts)
    if (serves_model(s.spec, model)) candidates.push_back({{"id", id}, {"used_percent", max_used_percent(s)}});
  return OpResult::success({{"model", model}, {"candidates", candidates}});
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

OpResult StateOperations::observe(const std::string& account, const QuotaObserved& q, const Requester&) {
  std::lock_guard lock(mutex_);
  return propose(account, q, {{"status", "observed"}});
}

OpResult StateOperations::select(const std::string& model, const std::vector<std::string>& exclude,
                                 bool reserve, const Usage& estimate) {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [id, s] : state_.accounts) {
    if (std::find(exclude.begin(), exclude.end(), id) != exclude.end()) continue;
    if (status_at(s, now) != AccountStatus::active || !serves_model(s.spec, model)) continue;
    if (!admission_refusal(s, estimate, now).empty()) continue;
    ranked.push_back({max_used_percent(s), id});
  }
  if (ranked.empty())
    return {429, {{"retry_after_s", 30}}, "no account can serve " + model, "quota_exhausted"};
  std::sort(ranked.begin(), ranked.end());
  const auto& best = state_.accounts.at(ranked.front().second);
  nlohmann::json body = {{"account_id", best.id}, {"provider", best.spec.provider},
                         {"model", model}, {"score", 1.0 - ranked.front().first / 100.0},
                         {"reason", "most remaining"}, {"alternative_ids", nlohmann::json::array()}};
  for (std::size_t i = 1; i < ranked.size(); ++i) body["alternative_ids"].push_back(ranked[i].second);
  if (reserve) {
    OpResult r = reserve_locked(best.id, model, estimate, 0);
    if (!r.ok()) return r;
    body["reservation_id"] = r.body["reservation_id"];
    body["expires_at"] = r.body["expires_at"];
  }
  return OpResult::success(body);
}

OpResult StateOperations::reserve_locked(const std::string& account, const std::string& model,
                                         const Usage& estimate, TimeMs ttl_ms) {
  const std::string id = "res_test_" + std::to_string(next_reservation_++);
  const TimeMs expires = now + (ttl_ms > 0 ? ttl_ms : 600'000);
  OpResult r = propose(account, ReservationCreated{id, model, estimate, expires},
                       {{"reservation_id", id}, {"account_id", account}, {"status", "active"},
                        {"expires_at", format_iso8601_ms(expires)}});
  if (r.ok()) reservation_account_[id] = account;
  return r;
}

OpResult StateOperations::reserve(const std::string& account, const std::string& model,
                                  const Usage& estimate, TimeMs ttl_ms) {
  std::lock_guard lock(mutex_);
  return reserve_locked(account, model, estimate, ttl_ms);
}

OpResult StateOperations::resolve(const std::string& id, const std::string& kind,
                                  const Usage& actual) {
  std::lock_guard lock(mutex_);
  auto it = reservation_account_.find(id);
  if (it == reservation_account_.end())
    return OpResult::failure(404, "not_found", "unknown reservation: " + id);
  if (resolved_.count(id))
    return OpResult::failure(409, "conflict", "reservation " + id + " is already " + resolved_[id]);
  EventPayload p = kind == "commit" ? EventPayload(ReservationCommitted{id, actual, false})
                                    : EventPayload(ReservationReleased{id, kind});
  OpResult r = propose(it->second, std::move(p), {{"reservation_id", id}});
  if (r.ok()) resolved_[id] = kind == "commit" ? "committed" : kind == "cancel" ? "cancelled" : "released";
  return r;
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

OpResult StateOperations::feedback(const std::string& account, OutcomeKind kind, TimeMs) {
  std::lock_guard lock(mutex_);
  if (!state_.accounts.count(account))
    return OpResult::failure(404, "not_found", "unknown account: " + account);
  feedback_.push_back(account + ":" + to_string(kind));
  if (kind == OutcomeKind::rate_limited)
    append(account, CooldownStarted{now + 60'000, "rate_limited", "advisory feedback", 0});
  return OpResult::success({{"status", "recorded"}});
}

nlohmann::json StateOperations::distribution() {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  double total = 0;
  for (const auto& [id, s] : state_.accounts)
    if (status_at(s, now) == AccountStatus::active) total += 100.0 - max_used_percent(s);
  for (const auto& [id, s] : state_.accounts)
    if (status_at(s, now) == AccountStatus::active && total > 0)
      out[id] = (100.0 - max_used_percent(s)) * 100.0 / total;
  return out;
}

OpResult StateOperations::set_telegram_token(const std::string& token, const Requester&) {
  std::lock_guard lock(mutex_);
  telegram_token_ = token;
  return OpResult::success({{"status", "stored"}});
}

}  // namespace qg::test
