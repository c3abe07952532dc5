// tests/persistence/sample_events.cpp — sample payloads and the random event stream.
#include "sample_events.hpp"

namespace qg::test {

namespace {
AccountSpec sample_spec() {
  AccountSpec s;
  s.provider = "cliproxy";
  s.type = "codex";
  s.email = "dev@example.com";
  s.base_url = "http://127.0.0.1:8317/v1";
  s.prefix = "team-a";
  s.models = {"gpt-4o", "gpt-4o-mini"};
  s.excluded_models = {"*-preview"};
  s.priority = -3;
  s.enabled = false;
  s.limits = {{Metric::requests, 60, 500}, {Metric::tokens, 86400, 2'000'000}};
  s.origin = "cliproxy";
  s.file = "codex-dev.json";
  s.fingerprint = "ab12cd34";
  s.expires_at = 1'790'000'123'456;
  s.auth_dir = "/srv/cli-proxy-api";
  return s;
}
}  // namespace

std::vector<EventPayload> sample_payloads() {
  return {
      AccountRegistered{sample_spec()},
      AccountUpdated{sample_spec()},
      AccountRemoved{"auth file deleted"},
      QuotaObserved{QuotaSource::poll,
                    {{Metric::requests, 60, 500, 17, 1'790'000'060'000},
                     {Metric::output_tokens, 0, 90000, 1234, 0}}},
      ReservationCreated{"r-1", "gpt-4o", Usage{1, 250, 1024}, 1'790'000'600'000, "req-1", "chat", "gpt-5", "k:9f", true},
      ReservationCommitted{"r-1", Usage{1, 240, 96}, true},
      ReservationReleased{"r-2", "upstream 502"},
      ReservationExpired{"r-3"},
      RouteSwitched{"gpt-4o|k:9f", "acct-a", "acct-b", "better", {{"acct-a", 0.25}, {"acct-b", 0.75}}},
      CooldownStarted{1'790'000'030'000, "rate_limited", "429 Retry-After 30s", 2},
      CooldownEnded{"probe_ok"},
      SettingChanged{"router.thresholds", R"({"warning":80,"switch":90,"critical":95})", "telegram"},
      AccountDrained{"admin"},
      AccountResumed{"telegram:42"},
      ThresholdCrossed{"critical", Metric::tokens, 86400, 96.5},
      AuthFolderImported{"/srv/more-auths", "telegram:42"},
      AuthFolderForgotten{"/srv/more-auths", "cli"},
      RouteRefused{"gpt-5", "messages", "k:9f", Usage{1, 300, 4096}, "req-9", "quota_exhausted"},
  };
}

RandomLog::RandomLog(std::uint32_t seed, TimeMs start) : rng_(seed), now_(start) {}

std::string RandomLog::pick_account() {
  return accounts_[std::uniform_int_distribution<std::size_t>(0, accounts_.size() - 1)(rng_)];
}

Event RandomLog::next() {
  auto roll = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); };
  now_ += roll(90'000);
  Event e;
  e.ts = now_;
  if (accounts_.empty() || (accounts_.size() < 4 && roll(40) == 0)) {
    e.account = "acct-" + std::to_string(accounts_.size() + 1);
    accounts_.push_back(e.account);
    AccountSpec spec;
    spec.provider = "openai";
    spec.limits = {{Metric::requests, 60, 20 + roll(100)}, {Metric::tokens, 3600, 50'000 + roll(100'000)}};
    e.payload = AccountRegistered{spec};
    return e;
  }
  e.account = pick_account();
  const int kind = roll(100);
  if (kind < 35) {
    const std::string id = "r" + std::to_string(next_id_++);
    open_.emplace_back(e.account, id);
    e.payload = ReservationCreated{id, "gpt-4o", Usage{1, roll(2000), roll(1024)}, now_ + 600'000};
  } else if (kind < 65 && !open_.empty()) {
    const std::size_t i = std::uniform_int_distribution<std::size_t>(0, open_.size() - 1)(rng_);
    e.account = open_[i].first;
    const std::string id = open_[i].second;
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
    if (kind < 55) e.payload = ReservationCommitted{id, Usage{1, roll(2000), roll(800)}, roll(2) == 0};
    else if (kind < 61) e.payload = ReservationReleased{id, "upstream error"};
    else e.payload = ReservationExpired{id};
  } else if (kind < 75) {
    e.payload = QuotaObserved{roll(2) ? QuotaSource::headers : QuotaSource::poll,
                              {{Metric::requests, 60, 100, roll(100), now_ + roll(60'000)},
                               {Metric::tokens, 0, 90'000, roll(90'000), roll(2) ? 0 : now_ + 3'600'000}}};
  } else if (kind < 79) {
    e.payload = CooldownStarted{now_ + roll(120'000), "rate_limited", "429", roll(5)};
  } else if (kind < 82) {
    e.payload = CooldownEnded{"expired"};
  } else if (kind < 86) {
    e.account.clear();
    e.payload = RouteSwitched{"gpt-4o", pick_account(), pick_account(), "better", {{"x", 0.5}}};
  } else if (kind < 88) {
    e.account.clear();
    const std::string folder = "/auth-" + std::to_string(roll(3));
    if (roll(3) == 0) e.payload = AuthFolderImported{folder, "cli"};
    else if (roll(4) == 0) e.payload = AuthFolderForgotten{folder, "admin"};
    else e.payload = SettingChanged{"router.policy", roll(2) ? "\"balanced\"" : "\"fill_first\"", "admin"};
  } else if (kind < 91) {
    if (roll(2)) e.payload = AccountDrained{"admin"};
    else e.payload = AccountResumed{"admin"};
  } else if (kind < 94) {
    e.payload = ThresholdCrossed{roll(2) ? "warning" : "recovered", Metric::requests, 60, 88.0};
  } else if (kind < 97) {
    AccountSpec spec;
    spec.provider = "openai";
    spec.enabled = roll(4) != 0;
    spec.limits = {{Metric::requests, 60, 20 + roll(100)}};
    e.payload = AccountUpdated{spec};
  } else {
    e.payload = ReservationCreated{"r" + std::to_string(next_id_++), "m", Usage{1, 1, 1}, now_ + 1000};
    open_.emplace_back(e.account, std::get<ReservationCreated>(e.payload).id);
  }
  return e;
}

std::vector<Event> RandomLog::take(std::size_t n) {
  std::vector<Event> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(next());
  return out;
}

}  // namespace qg::test
