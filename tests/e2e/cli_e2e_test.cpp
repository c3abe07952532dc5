// The command line as a user meets it: --help, version, check, stubs and usage errors.
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_storage.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using qg::test::run_quotaguard;
using qg::test::TempDir;
using qg::test::skip_on_postgres;

namespace {

const char* const kCommands[] = {"serve",  "setup",    "quotas",  "check",
                                 "replay", "settoken", "version", "route", "migrate"};

}  // namespace

TEST_CASE("--help lists every command - each command has --help") {
  auto r = run_quotaguard({"--help"});
  CHECK(r.exit_code == 0);
  for (const char* cmd : kCommands) {
    INFO(cmd);
    CHECK(r.out.find(std::string("  ") + cmd) != std::string::npos);
    auto help = run_quotaguard({cmd, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find(cmd) != std::string::npos);
  }
  auto serve = run_quotaguard({"serve", "--help"});
  for (const char* flag : {"--config", "--listen", "--db"}) CHECK(serve.out.find(flag) != std::string::npos);
}

TEST_CASE("usage errors exit 2") {
  CHECK(run_quotaguard({}).exit_code == 2);                     // no command
  CHECK(run_quotaguard({"frobnicate"}).exit_code == 2);         // unknown command
  CHECK(run_quotaguard({"serve", "--no-such-flag"}).exit_code == 2);
  CHECK(run_quotaguard({"serve", "--listen"}).exit_code == 2);  // missing value
  auto bad_listen = run_quotaguard({"serve", "--listen", "nowhere"});
  CHECK(bad_listen.exit_code == 2);
  CHECK(bad_listen.err == "--listen: nowhere is not HOST:PORT\n");
}

TEST_CASE("every INTERFACE command is built: --help answers 0, an unknown flag 2") {
  for (const char* cmd : kCommands) {
    INFO(cmd);
    CHECK(run_quotaguard({cmd, "--help"}).exit_code == 0);
    CHECK(run_quotaguard({cmd, "--bogus-arg-for-stub-check"}).exit_code == 2);
  }
}

TEST_CASE("version names quotaguard and every linked library") {
  auto r = run_quotaguard({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind(std::string("quotaguard ") + QG_VERSION + "\n", 0) == 0);
  for (const char* lib : {"CAF", "cpp-httplib", "simdjson", "yaml-cpp", "SQLite", "spdlog",
                          "OpenSSL", "CLI11", "nlohmann-json"}) {
    INFO(lib);
    CHECK(r.out.find(lib) != std::string::npos);
  }
  CHECK(r.out.find("0.17.6") != std::string::npos);  // CAF's version, decoded
  CHECK(run_quotaguard({"--version"}).exit_code == 0);
}

namespace {

// Exit 1 exactly when some line is a FAIL (checks other modules add may fail on this machine).
void check_exit_matches_lines(const qg::test::ProcessResult& r) {
  bool any_fail = r.out.find("FAIL ") != std::string::npos;
  CHECK(r.exit_code == (any_fail ? 1 : 0));
}

}  // namespace

TEST_CASE("check: a valid config and a creatable database pass") {
  skip_on_postgres("the SQLite file that does not exist yet and the free space of its file system");
  TempDir dir;
  std::string cfg = dir.write("ok.yaml", "storage: {db_path: \"" + dir.file("q.db") + "\"}\n");
  auto r = run_quotaguard({"check", "--config", cfg});
  CHECK(r.out.find("ok   config: " + cfg + ": valid (0 configured accounts, listen "
                   "127.0.0.1:8318)\n") != std::string::npos);
  CHECK(r.out.find("ok   database: " + dir.file("q.db") + ": does not exist yet") !=
        std::string::npos);
  CHECK(r.out.find(" free)") != std::string::npos);  // room on the file system is reported
  check_exit_matches_lines(r);
}

TEST_CASE("check: an existing log reports its free space - a read-only one fails") {
  skip_on_postgres("the SQLite file's free space and permissions");
  TempDir dir;
  const std::string db = dir.file("q.db");
  std::string cfg = dir.write("c.yaml", "storage: {db_path: \"" + db + "\"}\n");
  qg::test::RunOptions with_token;
  with_token.stdin_text = "123456:AAchecktokenforreadonlytestxxxxxxxxxx\n";
  REQUIRE(run_quotaguard({"settoken", "--config", cfg, "-"}, with_token).exit_code == 0);  // creates the log
  auto r = run_quotaguard({"check", "--config", cfg});
  CHECK_MESSAGE(r.out.find("ok   database: " + db + ": opens, integrity ok, ") != std::string::npos, r.out);
  CHECK(r.out.find(" free\n") != std::string::npos);
  std::filesystem::permissions(db, std::filesystem::perms::owner_read);
  r = run_quotaguard({"check", "--config", cfg});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.out.find("FAIL database: " + db + ": is read-only") != std::string::npos, r.out);
}

TEST_CASE("check: a bad config fails with its line - the other checks are skipped") {
  TempDir dir;
  std::string cfg = dir.write("bad.yaml", "router: {polcy: balanced}\n");
  auto r = run_quotaguard({"check", "--config", cfg});
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("FAIL config: " + cfg +
                        ": router.polcy: unknown key (did you mean router.policy?)\n",
                    0) == 0);
  CHECK(r.out.find("skip database: config does not load") != std::string::npos);
}

TEST_CASE("check: a corrupt database fails - --json reports every check") {
  skip_on_postgres("a file that is not SQLite");
  TempDir dir;
  std::ofstream(dir.file("q.db")) << "this is not an sqlite database, not at all, no...........";
  std::string cfg = dir.write("c.yaml", "storage: {db_path: \"" + dir.file("q.db") + "\"}\n");
  auto r = run_quotaguard({"check", "--config", cfg, "--json"});
  CHECK(r.exit_code == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["ok"] == false);
  bool saw_db = false;
  for (const auto& c : j["checks"]) {
    if (c["name"] == "database") {
      saw_db = true;
      CHECK(c["status"] == "fail");
    }
    if (c["name"] == "config") CHECK(c["status"] == "ok");
  }
  CHECK(saw_db);
}

TEST_CASE("check: non-loopback listen without an admin token fails the config check") {
  TempDir dir;
  std::string cfg = dir.write("c.yaml", "server: {listen: \"0.0.0.0:8318\"}\n");
  auto r = run_quotaguard({"check", "--config", cfg});
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("FAIL config: server.listen: 0.0.0.0:8318 is not loopback", 0) == 0);
  r = run_quotaguard({"check", "--config", cfg}, qg::test::RunOptions().set_env("QUOTAGUARD_ADMIN_TOKEN", "tok-12345"));
  CHECK(r.out.rfind("FAIL config: server.listen: 0.0.0.0:8318 is not loopback and server.api_keys is empty", 0) == 0);
  CHECK(r.out.find("allow_unauthenticated") != std::string::npos);
  r = run_quotaguard({"check", "--config", cfg}, qg::test::RunOptions()
                                                     .set_env("QUOTAGUARD_ADMIN_TOKEN", "tok-12345")
                                                     .set_env("QUOTAGUARD_API_KEYS", "ck-12345"));
  CHECK(r.out.rfind("ok   config: ", 0) == 0);
  CHECK(r.out.find("tok-12345") == std::string::npos);
  CHECK(r.out.find("ck-12345") == std::string::npos);
}
