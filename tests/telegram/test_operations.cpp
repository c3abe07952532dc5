// tests/telegram/test_operations.cpp — see test_operations.hpp.
#include "tests/telegram/test_operations.hpp"

#include "messages/event_codec.hpp"
#include "quota/account_view.hpp"

#include <nlohmann/json.hpp>

namespace qg::test {

using nlohmann::json;

namespace {
constexpr TimeMs kNow = 1'764'430'000'000;
}  // namespace

TestOperations::TestOperations() = default;

void TestOperations::record(const std::string& call) { calls_.push_back(call); }

std::vector<std::string> TestOperations::calls_snapshot() {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<std::string> TestOperations::mutations() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& c : calls_)
    if (c != "status" && c != "accounts" && c != "export" && c.rfind("get_setting", 0) != 0) out.push_back(c);
  return out;
}

std::uint64_t TestOperations::seq() {
  std::lock_guard lock(mu_);
  return events_.size();
}

void TestOperations::append_locked(const std::string& account, EventPayload payload, TimeMs ts) {
  Event e{events_.size() + 1, ts, account, std::move(payload)};
  for (auto& a : accounts_)
    if (a.id == account) apply(a, e);
  events_.push_back(std::move(e));
}

void TestOperations::append(const std::string& account, EventPayload payload, TimeMs ts) {
  std::lock_guard lock(mu_);
  append_locked(account, std::move(payload), ts);
}

void TestOperations::add_account(const std::string& id, std::int64_t limit) {
  std::lock_guard lock(mu_);
  AccountState s;
  s.id = id;
  accounts_.push_back(s);
  AccountSpec spec;
  spec.provider = "openai";
  spec.type = "openai";
  spec.limits = {LimitSpec{Metric::requests, 60, limit}};
  append_locked(id, AccountRegistered{spec}, kNow);
}

StatusView TestOperations::status() {
  std::lock_guard lock(mu_);
  record("status");
  StatusView v;
  v.uptime_s = 3725;
  v.version = "0.1.0";
  v.journal_seq = events_.size();
  v.sticky_routes = {{"gpt-4o-mini", accounts_.empty() ? "" : accounts_[0].id}};
  return v;
}

std::vector<AccountView> TestOperations::accounts() {
  std::lock_guard lock(mu_);
  record("accounts");
  std::vector<AccountView> list;
  for (const auto& a : accounts_) list.push_back(account_view(a, kNow));
  return list;
}

OpAnswer<AccountView> TestOperations::account(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& a : accounts_)
    if (a.id == id) return {account_view(a, kNow), std::nullopt};
  return OpAnswer<AccountView>::fail(OpError::unknown_account, "unknown account " + id);
}

#define QG_ACCOUNT_VERB(name, payload)                                                          \
  OpAnswer<AccountCommandView> TestOperations::name(const std::string& id, const Requester& by) { \
    std::lock_guard lock(mu_);                                                                   \
    record(#name " " + id + " by " + by);                                                        \
    for (const auto& a : accounts_)                                                              \
      if (a.id == id) {                                                                          \
        append_locked(id, payload, kNow);                                                        \
        return {AccountCommandView{account_view(a, kNow), ""}, std::nullopt};                     \
      }                                                                                          \
    return OpAnswer<AccountCommandView>::fail(OpError::unknown_account, "account \"" + id + "\" not found"); \
  }
QG_ACCOUNT_VERB(drain, AccountDrained{by})
QG_ACCOUNT_VERB(resume, AccountResumed{by})
QG_ACCOUNT_VERB(reset_cooldown, CooldownEnded{"operator"})
#undef QG_ACCOUNT_VERB

std::vector<ReservationView> TestOperations::reservations() { return {}; }

OpAnswer<SettingView> TestOperations::get_setting(const std::string& key) {
  using Answer = OpAnswer<SettingView>;
  std::lock_guard lock(mu_);
  record("get_setting " + key);
  if (key == "thresholds" || key == "policy" || key == "fallbacks")
    return Answer{SettingView{operator_setting(key), settings_}, std::nullopt};
  return Answer::fail(OpError::not_found, "unknown setting " + key);
}

OpAnswer<SettingView> TestOperations::put_setting(const std::string& key, const json& value, const Requester& by) {
  using Answer = OpAnswer<SettingView>;
  std::lock_guard lock(mu_);
  record("put_setting " + key + " " + value.dump() + " by " + by);
  if (key == "thresholds") {
    settings_.thresholds = {value.value("warning", 0.0), value.value("switch", 0.0), value.value("critical", 0.0)};
    append_locked("", SettingChanged{"router.thresholds", value.dump(), "telegram"}, kNow);
    return Answer{SettingView{operator_setting(key), settings_}, std::nullopt};
  }
  if (key == "policy") {
    const std::string p = value.value("policy", "");
    if (p != "balanced" && p != "fill_first" && p != "max_remaining" && p != "earliest_reset" && p != "round_robin" && p != "paced")
      return Answer::fail(OpError::invalid_argument, "policy: unknown policy \"" + p + "\"");
    settings_.policy = *policy_from_string(p);
    return Answer{SettingView{operator_setting(key), settings_}, std::nullopt};
  }
  if (key == "fallbacks") {
    settings_.fallback_chains = value["fallback_chains"].get<std::map<std::string, std::vector<std::string>>>();
    return Answer{SettingView{operator_setting(key), settings_}, std::nullopt};
  }
  return Answer::fail(OpError::invalid_argument, "unknown setting");
}

OpAnswer<ReloadView> TestOperations::reload(const Requester& by) {
  std::lock_guard lock(mu_);
  record("reload by " + by);
  return {};
}

OpAnswer<ImportView> TestOperations::import_accounts(const std::string& auth_dir, const Requester& by) {
  std::lock_guard lock(mu_);
  record("import " + auth_dir + " by " + by);
  return {};
}

OpAnswer<AuthFoldersView> TestOperations::auth_folders() {
  std::lock_guard lock(mu_);
  record("folders");
  AuthFoldersView v;
  v.configured = "/auth";
  v.imported.push_back({"/imports/a", "cli", 0, 2});
  return {v, std::nullopt};
}

OpAnswer<ForgetFolderView> TestOperations::forget_folder(const std::string& path, const Requester& by) {
  std::lock_guard lock(mu_);
  record("forget " + path + " by " + by);
  if (path != "/imports/a")
    return OpAnswer<ForgetFolderView>::fail(OpError::not_found, "path: " + path + " is not an imported folder");
  return {ForgetFolderView{path, {"cliproxy-a1", "cliproxy-a2"}, {}}, std::nullopt};
}

std::string TestOperations::export_yaml() {
  std::lock_guard lock(mu_);
  record("export");
  return "server:\n  listen: \"127.0.0.1:8318\"\n  admin_token: \"${QUOTAGUARD_ADMIN_TOKEN}\"\ntelegram:\n  token: \"${QUOTAGUARD_TELEGRAM_TOKEN}\"\n";
}

OpAnswer<EventPage> TestOperations::events(std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(mu_);
  OpAnswer<EventPage> out;
  out.value.next_after = after;
  for (const auto& e : events_)
    if (e.seq > after && out.value.events.size() < limit) {
      out.value.events.push_back(e);
      out.value.next_after = e.seq;
    }
  return out;
}

OpAnswer<RouteExplanation> TestOperations::explain_route(const std::string&, const std::string&, Dialect) {
  return {};
}
OpAnswer<Done> TestOperations::observe(const std::string&, const QuotaObserved&, const Requester&) { return {}; }
OpAnswer<RouteGrant> TestOperations::select(const std::string&, const std::vector<std::string>&, bool, const Usage&) {
  return {};
}
OpAnswer<RouteGrant> TestOperations::reserve(const std::string&, const std::string&, const Usage&, TimeMs) { return {}; }
OpAnswer<Done> TestOperations::resolve(const std::string&, Resolution, const Usage&) { return {}; }
OpAnswer<ReservationView> TestOperations::reservation(const std::string& id) {
  return OpAnswer<ReservationView>::fail(OpError::not_found, "reservation " + id + " not found");
}
OpAnswer<Done> TestOperations::feedback(const std::string&, OutcomeKind, TimeMs) { return {}; }
std::map<std::string, double> TestOperations::distribution() { return {}; }

OpAnswer<Done> TestOperations::set_telegram_token(const std::string& t, const Requester& by) {
  std::function<void(const std::string&)> cb;
  {
    std::lock_guard lock(mu_);
    record("set_telegram_token by " + by);
    token = t;
    cb = on_token;
  }
  if (cb) cb(t);
  return {};
}

}  // namespace qg::test
