// tests/cliproxy/setup_e2e_test.cpp — `quotaguard setup` as a process: real auth folders,
// real SQLite files (PostgreSQL under `make test-postgres`), qg-fake-cliproxy for
// --assign-prefixes, a stand-in daemon for hand-off.
#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/cliproxy/fake_process.hpp"
#include "tests/cliproxy/quotaguard_command.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <thread>

using namespace qg::cliproxy::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct SetupEnv {
  TempDir tmp;
  fs::path auth = tmp.path() / "auth";
  fs::path db = tmp.path() / "qg.db";
  fs::path config = tmp.path() / "config.yaml";

  SetupEnv() {
    fs::create_directories(auth);
    for (const auto& e : fs::directory_iterator(fixture_dir() / "auth-types"))
      fs::copy_file(e.path(), auth / e.path().filename());
    write_file(auth / "half.json", R"({"type":"claude","email":"zoe@example.com","access_token":"sk-ant-)");
    write_config("");
  }
  void write_config(const std::string& extra) {
    write_file(config, "server:\n  listen: \"127.0.0.1:0\"\nstorage:\n  db_path: \"" + db.string() + "\"\n" + extra);
  }
  RunResult setup(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {"setup", "--config", config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return quotaguard(argv, env);
  }
};

std::map<std::string, std::string> status_by_file(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const auto& r : json::parse(out)) m[r["file"]] = r["status"];
  return m;
}

json fake_stats(const ChildProcess& fake) {
  httplib::Client c("127.0.0.1", fake.port());
  auto r = c.Get("/_fake/stats");
  REQUIRE(r);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("setup records every sample account - a second run is unchanged - no secret anywhere") {
  SetupEnv env;
  auto first = env.setup({env.auth.string(), "--json"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto results = json::parse(first.out);
  CHECK(results.size() == 10);
  for (const auto& r : results) {
    CHECK(r.size() == 7);  // id provider type email file status reason
    if (r["file"] == "half.json") {
      CHECK(r["status"] == "skipped");
      CHECK(r["reason"].get<std::string>().find("retried next scan") != std::string::npos);
    } else {
      CHECK(r["status"] == "added");
      CHECK(r["provider"] == "cliproxy");
    }
  }
  CHECK(leaked_secret(first.out + first.err) == "");
  REQUIRE(log_written(env.db));  // the secret checks below read a real log
  CHECK(leaked_secret(log_text(env.db)) == "");
  CHECK(log_text(env.db).find("zoe@example.com") == std::string::npos);  // skipped file not recorded

  auto second = env.setup({env.auth.string(), "--json"});
  REQUIRE(second.exit_code == 0);
  auto statuses = status_by_file(second.out);
  CHECK(statuses["codex.json"] == "unchanged");
  CHECK(statuses["kimi.json"] == "unchanged");

  fs::remove(env.auth / "qwen.json");
  fs::rename(env.auth / "claude.json", env.auth / "renamed.json");
  auto third = env.setup({env.auth.string()});
  REQUIRE(third.exit_code == 0);
  CHECK(third.out.find("removed   qwen-eve-alias") != std::string::npos);
  CHECK(third.out.find("updated   claude-dave@example.com  (renamed.json)") != std::string::npos);
  CHECK(third.out.find("unpinned") != std::string::npos);
  CHECK(leaked_secret(third.out + third.err) == "");
}

TEST_CASE("setup --dry-run writes nothing - AUTH_DIR precedence: argument > environment > config") {
  SetupEnv env;
  auto r = env.setup({"--dry-run"}, {"QUOTAGUARD_CLIPROXY_AUTH_PATH=" + env.auth.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("9 added") != std::string::npos);
  CHECK(r.out.find("dry run: nothing recorded") != std::string::npos);
  CHECK_FALSE(log_written(env.db));

  // The AUTH_DIR argument beats the environment, which beats cliproxy.auth_dir.
  env.write_config("cliproxy:\n  auth_dir: \"" + (env.tmp.path() / "from-config").string() + "\"\n");
  auto arg = env.setup({env.auth.string(), "--dry-run"}, {"QUOTAGUARD_CLIPROXY_AUTH_PATH=/nonexistent/env"});
  CHECK(arg.exit_code == 0);
  auto from_env = env.setup({"--dry-run"}, {"QUOTAGUARD_CLIPROXY_AUTH_PATH=/nonexistent/env"});
  CHECK(from_env.exit_code == 2);
  CHECK(from_env.err.find("/nonexistent/env") != std::string::npos);
  auto from_config = env.setup({"--dry-run"});
  CHECK(from_config.exit_code == 2);
  CHECK(from_config.err.find("from-config") != std::string::npos);
}

TEST_CASE("setup with a missing folder: one line naming it, exit 2") {
  SetupEnv env;
  auto r = env.setup({(env.tmp.path() / "nope").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("nope") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_FALSE(log_written(env.db));
}

TEST_CASE("setup --assign-prefixes pins every file through the management API") {
  SetupEnv env;
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.auth.string(), "--management-key", "mgmt-secret-1"});
  env.write_config("cliproxy:\n  base_url: \"" + fake.base_url() + "\"\n  management_key: \"mgmt-secret-1\"\n");

  auto dry = env.setup({env.auth.string(), "--assign-prefixes", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("would set prefix codex-alice on codex.json") != std::string::npos);
  CHECK(fake_stats(fake).value("prefix_patches", 0) == 0);

  auto r = env.setup({env.auth.string(), "--assign-prefixes", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fake_stats(fake).value("prefix_patches", 0) == 9);
  CHECK(json::parse(read_file(env.auth / "claude.json"))["prefix"] == "claude-dave");
  CHECK(json::parse(read_file(env.auth / "kimi.json"))["prefix"] == "kimi-b95791af");
  CHECK(status_by_file(r.out)["codex.json"] == "added");
  CHECK(r.out.find("mgmt-secret-1") == std::string::npos);
  CHECK(r.err.find("mgmt-secret-1") == std::string::npos);

  auto again = env.setup({env.auth.string()});
  CHECK(again.out.find("every account already has a prefix") == std::string::npos);
  CHECK(again.out.find("unpinned") == std::string::npos);
}

TEST_CASE("setup --assign-prefixes with a wrong key: exit 1 after exactly one request") {
  SetupEnv env;
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", env.auth.string(), "--management-key", "right"});
  env.write_config("cliproxy:\n  base_url: \"" + fake.base_url() + "\"\n  management_key: \"WRONG-KEY-777\"\n");
  auto r = env.setup({env.auth.string(), "--assign-prefixes"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("401") != std::string::npos);
  CHECK(r.err.find("WRONG-KEY-777") == std::string::npos);
  auto stats = fake_stats(fake);
  CHECK(stats.value("management_requests", 0) == 1);
  CHECK(stats.value("unauthorized", 0) == 1);
  CHECK_FALSE(log_written(env.db));  // stopped before recording anything

  env.write_config("");
  auto no_key = env.setup({env.auth.string(), "--assign-prefixes"});
  CHECK(no_key.exit_code == 2);
  CHECK(no_key.err.find("management_key") != std::string::npos);
}

TEST_CASE("setup hands the folder to a running daemon and does not write the DB itself") {
  SetupEnv env;
  httplib::Server daemon;
  std::string seen_path, seen_auth;
  int calls = 0;
  daemon.Post("/api/v1/import", [&](const httplib::Request& req, httplib::Response& res) {
    if (++calls > 1) {  // a daemon that reports no per-file results
      res.set_content(R"({"accounts":[]})", "application/json");
      return;
    }
    seen_path = json::parse(req.body).value("path", "");
    seen_auth = req.get_header_value("Authorization");
    json results = json::array({{{"id", "claude-dave@example.com"}, {"provider", "cliproxy"}, {"type", "claude"},
                                 {"email", "dave@example.com"}, {"file", "claude.json"}, {"status", "added"}, {"reason", ""}}});
    res.set_content(json{{"path", seen_path}, {"results", results}}.dump(), "application/json");
  });
  int port = daemon.bind_to_any_port("127.0.0.1");
  std::thread t([&] { daemon.listen_after_bind(); });
  env.write_config("");
  write_file(env.config, "server:\n  listen: \"127.0.0.1:" + std::to_string(port) +
                             "\"\n  admin_token: \"adm-123456\"\nstorage:\n  db_path: \"" + env.db.string() + "\"\n");
  auto r = env.setup({env.auth.string(), "--json"});
  auto text = env.setup({env.auth.string()});  // no results from the daemon: our preview is shown
  daemon.stop();
  t.join();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("handed to the running daemon") != std::string::npos);
  CHECK(text.out.find("added     claude-dave@example.com") != std::string::npos);
  CHECK(seen_path == fs::absolute(env.auth).lexically_normal().string());
  CHECK(seen_auth == "Bearer adm-123456");
  CHECK(json::parse(r.out).size() == 1);
  CHECK_FALSE(log_written(env.db));
}

TEST_CASE("without a daemon, setup records imported folders and forget drops one (issue 16 item 1)") {
  SetupEnv env;
  env.write_config("cliproxy:\n  auth_dir: \"" + (env.tmp.path() / "configured").string() + "\"\n");
  const fs::path second = env.tmp.path() / "second";
  fs::create_directories(second);
  std::string other = read_file(fixture_dir() / "auth-types/xai.json");  // another xAI account
  other.replace(other.find("ivan@example.com"), 16, "olga@example.com");
  write_file(second / "xai-olga.json", other);
  auto first = env.setup({env.auth.string()});
  INFO(first.out, first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("stays imported") != std::string::npos);
  REQUIRE(env.setup({second.string()}).exit_code == 0);
  // The first folder's accounts survived the second import: a rescan finds them unchanged.
  auto again = env.setup({env.auth.string(), "--json"});
  REQUIRE(again.exit_code == 0);
  CHECK(status_by_file(again.out)["codex.json"] == "unchanged");

  auto state = quotaguard({"replay", "--config", env.config.string(), "--json"});
  REQUIRE(state.exit_code == 0);
  const json last = json::parse(state.out.substr(state.out.rfind("{\"state\"")));
  CHECK(last["state"]["auth_folders"] == json::array({env.auth.string(), second.string()}));

  auto forget = quotaguard({"forget", second.string(), "--config", env.config.string()});
  INFO(forget.out, forget.err);
  REQUIRE(forget.exit_code == 0);
  CHECK(forget.out.find("1 account(s) removed") != std::string::npos);
  auto twice = quotaguard({"forget", second.string(), "--config", env.config.string()});
  CHECK(twice.exit_code == 2);
  CHECK(twice.err.find("not an imported folder") != std::string::npos);
  auto verify = quotaguard({"replay", "--config", env.config.string(), "--verify"});
  CHECK(verify.exit_code == 0);
}
