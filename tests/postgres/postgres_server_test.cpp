// tests/postgres/postgres_server_test.cpp — the test harness itself: the shared server asks
// for the password, each create_database() is a separate empty database, and a private
// server started in a directory is gone (port closed, directory removed) after stop(), and
// after its process is killed by SIGKILL (the watchdog) — also while `pg_ctl start` is still
// starting it, and when ctest's timeout kills the test — unless it was detach()ed.
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using qg::test::PostgresServer;
using qg::test::shared_postgres;

namespace {

// Polls `done` every `interval` until it holds or `timeout` has passed; its last answer.
template <class Pred>
bool poll_until(Pred done, std::chrono::steady_clock::duration timeout,
                std::chrono::steady_clock::duration interval = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

// The first column of the first row of `sql`, or "error: ..." (connection or query).
std::string query_one(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("error: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      out = std::string("error: ") + PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

}  // namespace

TEST_CASE("postgres test server: password auth and one empty database per create_database") {
  auto& pg = shared_postgres();
  REQUIRE(pg.port() > 0);
  CHECK(query_one(pg.dsn(), "SELECT 1") == "1");
  CHECK(query_one(pg.dsn(), "SHOW server_version_num").substr(0, 2) >= "15");

  // scram-sha-256 on 127.0.0.1: a wrong password is refused.
  const std::string wrong = "postgresql://" + pg.user() + ":not-" + pg.password() + "@127.0.0.1:" +
                            std::to_string(pg.port()) + "/postgres";
  CHECK(query_one(wrong, "SELECT 1").find("password authentication failed") != std::string::npos);

  const std::string a = pg.create_database();
  const std::string b = pg.create_database();
  CHECK(a != b);
  CHECK(query_one(a, "CREATE TABLE t(x int)") == "");
  CHECK(query_one(a, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "1");
  CHECK(query_one(b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0");
}

TEST_CASE("postgres test server: stop closes the port and removes the directory") {
  qg::test::TempDir parent("qg-pg-test");
  const auto dir = parent.path() / "cluster";
  auto server = PostgresServer::start(dir);
  const std::string dsn = server->dsn();
  CHECK(query_one(dsn, "SELECT current_user") == "qg_test");
  const auto cluster = server->cluster_dir();
  CHECK(std::filesystem::exists(cluster / "data" / "PG_VERSION"));
  CHECK(PostgresServer::attach(dir) != nullptr);

  server->stop();
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK_FALSE(std::filesystem::exists(cluster));
  CHECK(query_one(dsn, "SELECT 1").rfind("error: ", 0) == 0);
  CHECK(PostgresServer::attach(dir) == nullptr);
}

namespace {

// Starts a private server (state in `dir`) in a forked child; returns the child's pid and the
// server's postmaster pid and port (as the child wrote them to a pipe), or {-1, -1, 0}.
// `detached`: the child detach()es the server first. The child waits to be killed.
struct ChildServer {
  pid_t child = -1;
  pid_t postmaster = -1;
  int port = 0;
};
ChildServer server_in_child(const std::filesystem::path& dir, bool detached) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string line = "0 0\n";
    try {
      auto server = PostgresServer::start(dir);
      if (detached) server->detach();
      std::ifstream pidfile(server->cluster_dir() / "data" / "postmaster.pid");
      std::string postmaster;
      std::getline(pidfile, postmaster);
      line = postmaster + " " + std::to_string(server->port()) + "\n";
      [[maybe_unused]] auto w = ::write(fds[1], line.data(), line.size());
      if (detached) ::_exit(0);  // no destructors: as if it ended abruptly
      for (;;) ::pause();
    } catch (...) {
      [[maybe_unused]] auto w = ::write(fds[1], line.data(), line.size());
      ::_exit(1);
    }
  }
  ::close(fds[1]);
  std::string text;
  char buf[64];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
    if (text.find('\n') != std::string::npos) break;
  }
  ::close(fds[0]);
  ChildServer out{child, -1, 0};
  std::istringstream in(text);
  in >> out.postmaster >> out.port;
  return out;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

std::string dsn_on(int port, const std::string& password) {
  return "postgresql://qg_test:" + password + "@127.0.0.1:" + std::to_string(port) + "/postgres?connect_timeout=2";
}

}  // namespace

TEST_CASE("postgres test server: a private server goes away when its process is killed by SIGKILL") {
  qg::test::TempDir parent("qg-pg-test");
  const auto dir = parent.path() / "cluster";
  const ChildServer s = server_in_child(dir, /*detached=*/false);
  REQUIRE(s.child > 0);
  REQUIRE_MESSAGE(s.postmaster > 0, "the child could not start a server");
  REQUIRE(process_alive(s.postmaster));
  CHECK(std::filesystem::exists(dir / "server.conf"));
  std::ifstream conf(dir / "server.conf");
  std::string port, user, password, cluster;
  conf >> port >> user >> password >> cluster;
  REQUIRE(query_one(dsn_on(s.port, password), "SELECT 1") == "1");

  ::kill(s.child, SIGKILL);
  int status = 0;
  ::waitpid(s.child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  poll_until([&] { return !process_alive(s.postmaster); }, std::chrono::seconds(10));
  CHECK_FALSE(process_alive(s.postmaster));  // before: it ran on until someone stopped it
  poll_until([&] { return !std::filesystem::exists(dir) && !std::filesystem::exists(cluster); }, std::chrono::seconds(10));
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK_FALSE(cluster.empty());
  CHECK_FALSE(std::filesystem::exists(cluster));
  CHECK(query_one(dsn_on(s.port, password), "SELECT 1").rfind("error: ", 0) == 0);
  if (process_alive(s.postmaster)) qg::test::stop_postgres_in(dir);  // leave nothing behind when failing
}

TEST_CASE("postgres test server: a detached server (the ctest fixture's) outlives the process that started it") {
  qg::test::TempDir parent("qg-pg-test");
  const auto dir = parent.path() / "cluster";
  const ChildServer s = server_in_child(dir, /*detached=*/true);
  REQUIRE(s.child > 0);
  REQUIRE_MESSAGE(s.postmaster > 0, "the child could not start a server");
  int status = 0;
  ::waitpid(s.child, &status, 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(process_alive(s.postmaster));
  CHECK(PostgresServer::attach(dir) != nullptr);
  qg::test::stop_postgres_in(dir);
  CHECK(PostgresServer::attach(dir) == nullptr);
}

namespace {

namespace fs = std::filesystem;

// `qg_postgres_fixture hold DIR` (a private server, then waits to be killed) or `ctest` as a
// child with TMPDIR=`tmp` (where PostgresServer::start makes the cluster directory), output to
// `log`. Returns its pid (-1: not started).
pid_t spawn_with_tmpdir(const std::vector<std::string>& argv, const fs::path& tmp, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setenv("TMPDIR", tmp.c_str(), 1);
  const int in = ::open("/dev/null", O_RDONLY);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
  ::execv(args[0], args.data());
  ::_exit(127);
}

// The processes whose command line names something under `dir` (initdb, pg_ctl, the postmaster
// and its children: `postgres -D DIR/qg-pg-cluster-XXXXXX/data`), as "pid: command line".
std::vector<std::string> processes_under(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(::getpid())) continue;
    std::string cmdline;
    try {  // a process that ends while being read: its file reads as an error
      std::ifstream in(entry.path() / "cmdline");
      cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;
    }
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(dir.string() + "/") != std::string::npos) out.push_back(pid + ": " + cmdline);
  }
  return out;
}

std::vector<std::string> entries_of(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path().filename().string());
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Waits (at most `seconds`) until no process runs from under `tmp` and `tmp` is empty; true then.
bool nothing_left_under(const fs::path& tmp, int seconds) {
  return poll_until([&] { return processes_under(tmp).empty() && entries_of(tmp).empty(); },
                    std::chrono::seconds(seconds));
}

// A failing test leaves nothing either: the processes under `tmp` are SIGKILLed by pid.
void kill_what_is_left(const fs::path& tmp) {
  for (const auto& line : processes_under(tmp)) ::kill(std::stoi(line), SIGKILL);
}

// A temporary directory the server's user (postgres, when the tests run as root) can enter.
fs::path open_to_server_user(const qg::test::TempDir& tmp) {
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  return tmp.path();
}

}  // namespace

TEST_CASE("postgres test server: a process killed while pg_ctl start is still starting the server leaves no server, no directory") {
  // Killed at pg_ctl start's launch and a few ms into it (before the server writes
  // postmaster.pid, or before it is ready): the start runs on, so the watchdog must wait for it.
  for (const int delay_ms : {0, 5, 20, 60}) {
    CAPTURE(delay_ms);
    qg::test::TempDir parent("qg-pg-kill");
    const fs::path tmp = open_to_server_user(parent);
    const fs::path log = fs::temp_directory_path() / ("qg-pg-kill-" + std::to_string(::getpid()) + ".log");
    const fs::path dir = tmp / "state";
    const pid_t child = spawn_with_tmpdir({QG_POSTGRES_FIXTURE, "hold", dir.string()}, tmp, log);
    REQUIRE(child > 0);
    poll_until([&] { return fs::exists(dir / "pg_ctl.log"); }, std::chrono::seconds(60), std::chrono::microseconds(200));
    REQUIRE_MESSAGE(fs::exists(dir / "pg_ctl.log"), qg::test::read_file(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(nothing_left_under(tmp, 30));
    const auto left = processes_under(tmp);
    CHECK_MESSAGE(left.empty(), joined(left));  // before: the server started after its process died
    CHECK_MESSAGE(entries_of(tmp).empty(), joined(entries_of(tmp)));
    kill_what_is_left(tmp);
    fs::remove(log);
  }
}

TEST_CASE("postgres test server: ctest's timeout kill of a test takes its private server along") {
  qg::test::TempDir parent("qg-pg-ctest");
  const fs::path tmp = open_to_server_user(parent);
  const fs::path dir = tmp / "state";
  qg::test::TempDir ctest_dir("qg-pg-ctest-run");
  // A test that starts a private server and then runs past its timeout.
  ctest_dir.write("CTestTestfile.cmake",
                  "add_test(hold \"" QG_POSTGRES_FIXTURE "\" hold \"" + dir.string() + "\")\n"
                  "set_tests_properties(hold PROPERTIES TIMEOUT 12)\n");
  const fs::path log = ctest_dir.path() / "ctest.log";
  const pid_t ctest = spawn_with_tmpdir({QG_CTEST, "--test-dir", ctest_dir.str(), "--output-on-failure"}, tmp, log);
  REQUIRE(ctest > 0);
  const bool started = poll_until([&] { return fs::exists(dir / "server.conf"); }, std::chrono::seconds(12),
                                  std::chrono::milliseconds(20));
  int status = 0;
  ::waitpid(ctest, &status, 0);
  const std::string output = qg::test::read_file(log);
  REQUIRE_MESSAGE(started, "the test's server did not start before its timeout:\n" << output);
  CHECK_MESSAGE(output.find("Timeout") != std::string::npos, output);
  CHECK(nothing_left_under(tmp, 30));
  const auto left = processes_under(tmp);
  CHECK_MESSAGE(left.empty(), joined(left));  // before: the server outlived the killed test
  CHECK_MESSAGE(entries_of(tmp).empty(), joined(entries_of(tmp)));
  kill_what_is_left(tmp);
}
