// tests/cliproxy/check_e2e_test.cpp — `quotaguard check` CLIProxyAPI lines, as a process
// against qg-fake-cliproxy: one failing line per problem, exit 1; one management request.
#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/cliproxy/fake_process.hpp"
#include "tests/cliproxy/quotaguard_command.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace qg::cliproxy::test;
namespace fs = std::filesystem;

namespace {
RunResult check(const fs::path& config) {
  return quotaguard({"check", "--config", config.string()});
}
std::string line_of(const std::string& out, const std::string& name) {
  auto pos = out.find(name + ":");
  if (pos == std::string::npos) return {};
  auto start = out.rfind('\n', pos);
  start = start == std::string::npos ? 0 : start + 1;
  return out.substr(start, out.find('\n', pos) - start);
}
}  // namespace

TEST_CASE("check: broken CLIProxyAPI setup gives one FAIL line per problem and exit 1") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "auth");
  fs::copy_file(fixture_dir() / "auth-types/codex.json", tmp.path() / "auth/codex.json");
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", (tmp.path() / "auth").string(), "--api-key", "client-key"});
  auto write_config = [&](const std::string& auth_dir, const std::string& mgmt, const std::string& api) {
    write_file(tmp.path() / "config.yaml",
               "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  db_path: \"" + (tmp.path() / "qg.db").string() +
                   "\"\ncliproxy:\n  auth_dir: \"" + auth_dir + "\"\n  base_url: \"" + fake.base_url() +
                   "\"\n  management_key: \"" + mgmt + "\"\n  api_key: \"" + api + "\"\n");
  };

  write_config((tmp.path() / "missing").string(), "BAD-MGMT-KEY", "BAD-API-KEY");
  auto bad = check(tmp.path() / "config.yaml");
  INFO(bad.out, bad.err);
  CHECK(bad.exit_code == 1);
  CHECK(line_of(bad.out, "auth_dir").rfind("FAIL", 0) == 0);
  CHECK(line_of(bad.out, "cliproxy_api").rfind("FAIL", 0) == 0);
  CHECK(line_of(bad.out, "cliproxy_management").rfind("FAIL", 0) == 0);
  CHECK(line_of(bad.out, "cliproxy_management").find("401") != std::string::npos);
  CHECK(bad.out.find("BAD-MGMT-KEY") == std::string::npos);
  CHECK(bad.out.find("BAD-API-KEY") == std::string::npos);
  httplib::Client control("127.0.0.1", fake.port());
  auto stats = nlohmann::json::parse(control.Get("/_fake/stats")->body);
  CHECK(stats["management_requests"] == 1);  // no retry against a rejected key

  write_config((tmp.path() / "auth").string(), "test-mgmt-key", "client-key");
  auto good = check(tmp.path() / "config.yaml");
  INFO(good.out, good.err);
  CHECK(good.exit_code == 0);
  CHECK(line_of(good.out, "auth_dir").find("1 account(s)") != std::string::npos);
  CHECK(line_of(good.out, "cliproxy_management").find("v7.2.140") != std::string::npos);
  CHECK(line_of(good.out, "cliproxy_api").rfind("ok", 0) == 0);
}
