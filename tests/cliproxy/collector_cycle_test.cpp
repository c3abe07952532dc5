// tests/cliproxy/collector_cycle_test.cpp — full poll cycles against qg-fake-cliproxy reading a
// real auth folder (auth_index computed like CLIProxyAPI v7).
#include "cliproxy/collector_cycle.hpp"
#include "cliproxy/discovery.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/cliproxy/fake_process.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr TimeMs kNow = 1775800000000;  // 2026-04-10T05:46:40Z

struct CycleEnv {
  TempDir tmp;
  std::map<std::string, AccountSpec> accounts;
  CycleEnv() {
    for (const char* f : {"codex.json", "claude.json", "gemini.json", "antigravity.json", "kimi.json"})
      fs::copy_file(fixture_dir() / "auth-types" / f, tmp.path() / f);
    accounts = scan_auth_dir(tmp.path(), {}, kNow).accounts;
  }
};

std::string auth_index_of(ManagementClient& c, const std::string& file) {
  auto listing = c.list_auth_files();  // keep the result alive while iterating
  for (const auto& f : *listing.value)
    if (f.name == file) return f.auth_index;
  return {};
}

json stats(const ChildProcess& fake) {
  httplib::Client c("127.0.0.1", fake.port());
  return json::parse(c.Get("/_fake/stats")->body);
}

template <class T>
int count(const CycleResult& r) {
  return static_cast<int>(std::count_if(r.events.begin(), r.events.end(),
                                        [](const Event& e) { return std::holds_alternative<T>(e.payload); }));
}
const QuotaObserved* observed(const CycleResult& r, const std::string& id) {
  for (const auto& e : r.events)
    if (e.account == id)
      if (auto* q = std::get_if<QuotaObserved>(&e.payload)) return q;
  return nullptr;
}
}  // namespace

TEST_CASE("a cycle polls every account with a quota endpoint and records source=poll windows") {
  CycleEnv env;
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.tmp.path().string()});
  ManagementClient client(fake.base_url(), "test-mgmt-key");
  CollectorState st;
  auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
  CHECK_FALSE(r.stop);
  CHECK(r.polled == 4);  // kimi has no live-quota endpoint
  CHECK(count<QuotaObserved>(r) == 4);
  CHECK(count<CooldownStarted>(r) == 0);
  CHECK(r.max_used_percent == doctest::Approx(87));  // claude five_hour
  auto* codex = observed(r, "codex-alice@example.com-9605fdb5");
  REQUIRE(codex);
  CHECK(codex->source == QuotaSource::poll);
  CHECK(codex->windows.size() == 2);
  CHECK(observed(r, "gemini-alice@example.com-alice-gemini-proj-123456"));
  CHECK(stats(fake)["last_api_call"]["header"]["Authorization"] == "Bearer $TOKEN$");
  for (const auto& e : r.events) CHECK(e.ts == kNow);
}

TEST_CASE("an exhausted poll, a CLIProxyAPI cooldown and the stale-cooldown reset") {
  CycleEnv env;
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.tmp.path().string()});
  ManagementClient client(fake.base_url(), "test-mgmt-key");
  httplib::Client control("127.0.0.1", fake.port());
  std::string claude_index = auth_index_of(client, "claude.json");
  REQUIRE(claude_index.size() == 16);
  auto put = control.Put(("/_fake/quota/" + claude_index).c_str(),
                         R"({"five_hour":{"utilization":100,"resets_at":"2026-04-10T09:12:00Z"},"seven_day":{"utilization":50,"resets_at":"2026-04-16T00:00:00Z"}})",
                         "application/json");
  REQUIRE(put);
  CHECK(put->status == 200);
  REQUIRE(control.Patch("/_fake/auth-file/codex.json",
                        R"({"unavailable":true,"status":"error","next_retry_after":"2026-04-10T17:12:00+08:00"})",
                        "application/json"));
  CollectorState st;
  auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
  auto* claude = observed(r, "claude-dave@example.com");
  REQUIRE(claude);
  CHECK(claude->windows[0].used == claude->windows[0].limit);  // router sees it exhausted
  CHECK(r.max_used_percent == doctest::Approx(100));
  // codex: CLIProxyAPI cools it but the poll shows 42 % -> mirrored, then reset (v7)
  CHECK(count<CooldownStarted>(r) == 1);
  CHECK(count<CooldownEnded>(r) == 1);
  CHECK(r.resets == 1);
  CHECK(stats(fake)["reset_quota"] == 1);
  auto after = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
  CHECK(count<CooldownStarted>(after) == 0);  // the fake cleared it
}

TEST_CASE("no reset-quota against v6 - 401 stops the cycle after one request - 404 disables") {
  CycleEnv env;
  {
    ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.tmp.path().string(), "--version", "v6.9.25"});
    httplib::Client control("127.0.0.1", fake.port());
    control.Patch("/_fake/auth-file/codex.json", R"({"unavailable":true,"next_retry_after":"2026-04-10T17:12:00+08:00"})",
                  "application/json");
    ManagementClient client(fake.base_url(), "test-mgmt-key");
    CollectorState st;
    auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK(r.resets == 0);
    CHECK(count<CooldownStarted>(r) == 1);
    CHECK(stats(fake).value("reset_quota", 0) == 0);
  }
  {
    ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.tmp.path().string()});
    ManagementClient client(fake.base_url(), "WRONG-KEY");
    CollectorState st;
    auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK(r.stop);
    CHECK(r.action == CollectorAction::stop_and_alert);
    CHECK(r.alert.find("401") != std::string::npos);
    CHECK(r.alert.find("WRONG-KEY") == std::string::npos);
    for (int i = 0; i < 5; ++i) run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK(stats(fake)["management_requests"] == 1);
  }
  {
    ChildProcess fake({fake_cliproxy_path(), "--no-management"});
    ManagementClient client(fake.base_url(), "k");
    CollectorState st;
    auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK(r.stop);
    CHECK(r.action == CollectorAction::disable_with_warning);
  }
  {
    ManagementClient client("http://127.0.0.1:1", "k", {200, 500});
    CollectorState st;
    auto r = run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK_FALSE(r.stop);
    CHECK(r.retry_in_ms == 60000);
    run_collector_cycle(client, env.accounts, {}, kNow, st, 60000);
    CHECK(st.consecutive_failures == 2);
  }
}
