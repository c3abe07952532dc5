// tests/cliproxy/management_client_test.cpp — the management client against qg-fake-cliproxy
// running as a real process on a free port.
#include "cliproxy/management_client.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/cliproxy/fake_process.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace qg::cliproxy;
using namespace qg::cliproxy::test;
namespace fs = std::filesystem;

namespace {
nlohmann::json fake_stats(const ChildProcess& fake) {
  httplib::Client c("127.0.0.1", fake.port());
  auto r = c.Get("/_fake/stats");
  REQUIRE(r);
  return nlohmann::json::parse(r->body);
}
long stat(const nlohmann::json& s, const char* key) { return s.contains(key) ? s[key].get<long>() : 0; }
}  // namespace

TEST_CASE("401: exactly one request, latched, no retry storm - the key never shows") {
  ChildProcess fake({fake_cliproxy_path(), "--management-key", "right-key"});
  ManagementClient client(fake.base_url(), "WRONG-SECRET-KEY-123");
  auto first = client.list_auth_files();
  CHECK_FALSE(first.ok());
  CHECK(first.error.kind == ManagementErrorKind::unauthorized);
  CHECK(first.error.status == 401);
  CHECK(first.error.message.find("WRONG-SECRET-KEY-123") == std::string::npos);
  for (int i = 0; i < 10; ++i) {  // a careless caller loops: still nothing sent
    CHECK(client.list_auth_files().error.kind == ManagementErrorKind::unauthorized);
    CHECK(client.api_call("{}").error.kind == ManagementErrorKind::unauthorized);
    CHECK(client.reset_quota("x").error.kind == ManagementErrorKind::unauthorized);
  }
  CHECK(client.requests_sent() == 1);
  auto stats = fake_stats(fake);
  CHECK(stat(stats, "management_requests") == 1);
  CHECK(stat(stats, "unauthorized") == 1);
  CHECK(stat(stats, "banned") == 0);
}

TEST_CASE("404 -> management disabled - unreachable is its own kind") {
  ChildProcess fake({fake_cliproxy_path(), "--no-management"});
  ManagementClient client(fake.base_url(), "k");
  auto r = client.list_auth_files();
  CHECK(r.error.kind == ManagementErrorKind::disabled);
  CHECK(r.error.message.find("secret-key") != std::string::npos);
  CHECK(client.lockout().kind == ManagementErrorKind::none);  // not latched: config may change

  ManagementClient nowhere("http://127.0.0.1:1", "k", {200, 500});
  CHECK(nowhere.list_auth_files().error.kind == ManagementErrorKind::unreachable);
}

TEST_CASE("listing, version header, api-call quota, reset-quota against the fake") {
  ChildProcess fake({fake_cliproxy_path(), "--management-key", "mk", "--version", "v7.2.140"});
  ManagementClient client(fake.base_url(), "mk");
  auto files = client.list_auth_files();
  REQUIRE(files.ok());
  CHECK(files.value->size() == 4);
  CHECK(client.version().major == 7);
  CHECK(client.version().at_least(7));
  CHECK_FALSE(client.version().at_least(7, 3));

  auto call = client.api_call(build_quota_api_call(QuotaKind::codex, "ec59c1cbb588de4c", "acct", ""));
  REQUIRE(call.ok());
  CHECK(call.value->status_code == 200);
  auto q = parse_quota(QuotaKind::codex, call.value->body, 0);
  CHECK(q.ok());
  CHECK(q.windows.size() == 2);

  auto reset = client.reset_quota("ec59c1cbb588de4c");
  REQUIRE(reset.ok());
  CHECK(*reset.value == std::vector<std::string>{"gpt-5.4"});
  CHECK(stat(fake_stats(fake), "reset_quota") == 1);
}

TEST_CASE("set_prefix rewrites the auth file through PATCH /auth-files/fields") {
  TempDir tmp;
  fs::copy_file(fixture_dir() / "auth-types/claude.json", tmp.path() / "claude-dave@example.com.json");
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", tmp.path().string()});
  ManagementClient client(fake.base_url(), "test-mgmt-key");
  auto ok = client.set_prefix("claude-dave@example.com.json", "dave");
  CHECK(ok.ok());
  auto j = nlohmann::json::parse(read_file(tmp.path() / "claude-dave@example.com.json"));
  CHECK(j["prefix"] == "dave");
  auto missing = client.set_prefix("nope.json", "x");
  CHECK(missing.error.kind == ManagementErrorKind::bad_response);  // a JSON 404, not "disabled"
  CHECK(missing.error.message.find("not found") != std::string::npos);
}

TEST_CASE("version parsing") {
  CHECK(parse_cpa_version("v6.9.25").major == 6);
  CHECK(parse_cpa_version("6.9.25").minor == 9);
  CHECK(parse_cpa_version("7.2.140-dirty").patch == 140);
  CHECK(parse_cpa_version("dev").major == 0);
}
