// End-to-end (issue 16 item 1): folders imported besides cliproxy.auth_dir stay imported.
// The real daemon and the real CLI: `quotaguard setup A` (handed to the daemon) and
// POST /api/v1/import {"path": B}; rescans (every second here) keep both sets; both folders
// are watched; after a restart the accounts are there and the folders still watched;
// `quotaguard forget B` removes B's accounts only and stops watching B; `replay --verify` is
// clean and the log shows AuthFolderImported/AuthFolderForgotten.
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

const std::string kAdmin = "folders-admin-token-123456";
const Headers kBearer = {{"Authorization", "Bearer " + kAdmin}};

std::string fixture(const std::string& name) {
  return read_file(std::string(QG_SOURCE_DIR) + "/tests/fixtures/cliproxy/auth-types/" + name);
}

// Live (not removed) account ids by the folder they came from.
std::map<std::string, std::set<std::string>> live_by_folder(const DaemonProcess& d) {
  std::map<std::string, std::set<std::string>> out;
  const json body = json::parse(d.get("/api/v1/accounts", kBearer).body);
  for (const auto& a : body["accounts"])
    if (!a.value("removed", false)) out[a.value("auth_dir", "")].insert(a["id"].get<std::string>());
  return out;
}

bool eventually(const std::function<bool()>& ok, int tenths = 300) {
  for (int i = 0; i < tenths; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

struct Setup {
  TempDir root{"qg-e2e-folders"};
  std::string conf = root.str() + "/configured";
  std::string a = root.str() + "/imported-a";
  std::string b = root.str() + "/imported-b";
  std::string db = root.file("qg.db");

  Setup() {
    root.write("configured/claude-dave@example.com.json", fixture("claude.json"));
    root.write("imported-a/codex-alice@example.com-plus.json", fixture("codex.json"));
    root.write("imported-b/qwen-eve-alias.json", fixture("qwen.json"));
    root.write("imported-b/kimi-1775800800000.json", fixture("kimi.json"));
  }
  std::string yaml(int port = 0) const {
    std::string listen = port ? "  listen: \"127.0.0.1:" + std::to_string(port) + "\"\n" : "";
    return "server:\n" + listen + "  admin_token: \"" + kAdmin + "\"\nstorage:\n  db_path: \"" + db +
           "\"\ncliproxy:\n  auth_dir: \"" + conf + "\"\n  rescan_interval: 1s\n";
  }
  DaemonOptions daemon() const { return DaemonOptions{}.config(yaml()); }
  // The CLI run against the daemon at `port` (its config names that listen address).
  ProcessResult cli(int port, std::vector<std::string> args) const {
    root.write("cli.yaml", yaml(port));
    args.insert(args.begin() + 1, {"--config", root.file("cli.yaml")});
    return run_quotaguard(args);
  }
};

}  // namespace

TEST_CASE("imported auth folders stay imported: rescans, watching, restart, forget") {
  Setup s;
  {
    DaemonProcess d(s.daemon());
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why);
    REQUIRE(live_by_folder(d)[s.conf].size() == 1);

    auto setup = s.cli(d.port(), {"setup", s.a});
    INFO(setup.out, setup.err);
    REQUIRE(setup.exit_code == 0);
    CHECK(setup.out.find("handed to the running daemon") != std::string::npos);
    CHECK(setup.out.find("stays imported") != std::string::npos);
    auto import_b = d.post("/api/v1/import", json{{"path", s.b}}.dump(), kBearer);
    REQUIRE_MESSAGE(import_b.status == 200, import_b.body);
    CHECK(json::parse(import_b.body)["imported"] == true);

    auto all = live_by_folder(d);
    CHECK(all[s.conf].size() == 1);
    CHECK(all[s.a].size() == 1);  // importing b kept a's account
    CHECK(all[s.b].size() == 2);

    // Periodic rescans (1 s) and a rescan of the configured folder keep every set.
    CHECK(d.post("/api/v1/import", "{}", kBearer).status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    CHECK(live_by_folder(d) == all);

    // Both imported folders are watched.
    s.root.write("imported-a/iflow-frank@example.com-1775800000.json", fixture("iflow.json"));
    CHECK(eventually([&] { return live_by_folder(d)[s.a].size() == 2; }));

    auto listed = json::parse(d.get("/api/v1/import", kBearer).body);
    CHECK(listed["configured"] == s.conf);
    REQUIRE(listed["imported"].size() == 2);
    CHECK(listed["imported"][0]["path"] == s.a);
    CHECK(listed["imported"][0]["by"] == "admin");  // setup handed it to the admin API
    CHECK(listed["imported"][1]["accounts"] == 2);
    CHECK(d.stop() == 0);
  }
  {
    DaemonProcess d(s.daemon());
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why);
    auto all = live_by_folder(d);
    CHECK(all[s.conf].size() == 1);
    CHECK(all[s.a].size() == 2);
    CHECK(all[s.b].size() == 2);
    // Still watched after the restart.
    s.root.write("imported-b/xai-ivan@example.com.json", fixture("xai.json"));
    CHECK(eventually([&] { return live_by_folder(d)[s.b].size() == 3; }));

    // Forget b: its accounts go, the others stay, and b is no longer watched or rescanned.
    auto forget = s.cli(d.port(), {"forget", s.b, "--json"});
    INFO(forget.out, forget.err);
    REQUIRE(forget.exit_code == 0);
    CHECK(json::parse(forget.out)["removed"].size() == 3);
    all = live_by_folder(d);
    CHECK(all.count(s.b) == 0);
    CHECK(all[s.a].size() == 2);
    CHECK(all[s.conf].size() == 1);
    s.root.write("imported-b/antigravity-grace@example.com.json", fixture("antigravity.json"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    CHECK(live_by_folder(d) == all);

    // The configured folder cannot be forgotten; an unknown folder is not imported.
    auto configured = s.cli(d.port(), {"forget", s.conf});
    CHECK(configured.exit_code == 2);
    CHECK(configured.err.find("cliproxy.auth_dir") != std::string::npos);
    auto unknown = d.post("/api/v1/import/forget", json{{"path", s.b}}.dump(), kBearer);
    CHECK(unknown.status == 404);
    CHECK(d.stop() == 0);
  }
  auto verify = run_quotaguard({"replay", "--db", s.db, "--verify"});
  CHECK_MESSAGE(verify.exit_code == 0, verify.out, verify.err);
  auto log = run_quotaguard({"replay", "--db", s.db, "--json", "--events-only"});
  CHECK(log.out.find("\"type\":\"AuthFolderImported\"") != std::string::npos);
  CHECK(log.out.find("\"type\":\"AuthFolderForgotten\"") != std::string::npos);
}
