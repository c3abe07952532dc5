// tests/support/postgres_server.hpp — a throw-away PostgreSQL server for tests.
//
//   auto& pg = qg::test::shared_postgres();          // one server per test binary
//   std::string dsn = pg.create_database();          // a fresh, empty database per test
//
// A server is a new cluster (`initdb`) in its own directory under the system temp dir
// (/tmp/qg-pg-cluster-XXXXXX; the state directory the caller names holds only server.conf and
// logs, so it may live anywhere, e.g. under a root-only build tree), started with `pg_ctl` on a
// free 127.0.0.1 port (no Unix socket), password authentication (scram-sha-256) for the
// superuser `qg_test`, fsync off. A server start() started goes away with the process that
// started it however that process ends (a signal, SIGKILL included, or ctest's timeout kill of
// the test and its descendants): a watchdog (a shell in its own session, no descendant of the
// test process, reading a pipe only the starting process holds) runs the commands that start
// and stop the server (initdb, pg_ctl) and, when the pipe reaches end of file, waits for the
// command under way (a `pg_ctl start` still starting the server), stops the server with
// `pg_ctl stop -m immediate` and removes its directories; stop() and detach() dismiss it. PostgreSQL refuses to run as root, so when the tests run as
// root (CI) initdb/pg_ctl run as the `postgres` user (`runuser -u postgres --`; Debian's
// postgresql package creates it) and the directory is handed to that user. The binaries are
// looked up on PATH, then in /usr/lib/postgresql/<newest>/bin; when none is found, or the
// server does not start, the constructor throws std::runtime_error saying what is missing —
// tests fail, they never skip.
//
// Sharing: ctest starts one server per test binary before its first case and stops it after
// the last (a fixture: `qg_add_test(... POSTGRES)` in tests/CMakeLists.txt runs
// `qg_postgres_fixture start|stop DIR` and gives each case QG_TEST_POSTGRES_DIR=DIR).
// shared_postgres() attaches to that server; run outside ctest (no such variable, or no
// server answering there) it starts a private one that lives until the process exits.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

namespace qg::test {

class PostgresServer {
 public:
  // initdb + pg_ctl start, state in `dir` (created; a server it names is stopped first and
  // anything there before is removed). The server
  // keeps running until stop() or, unless detach()ed, the destructor.
  static std::unique_ptr<PostgresServer> start(const std::filesystem::path& dir);
  // A server that start() left running in `dir` (reads DIR/server.conf); nullptr when there
  // is none or it does not answer.
  static std::unique_ptr<PostgresServer> attach(const std::filesystem::path& dir);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  // postgresql://user:password@127.0.0.1:port/database
  std::string dsn(const std::string& database = "postgres") const;
  // CREATE DATABASE with a name unique to this process; returns its DSN.
  std::string create_database();
  // Runs SQL as the superuser on `database`; throws std::runtime_error with the server's message.
  void exec(const std::string& sql, const std::string& database = "postgres") const;

  const std::filesystem::path& cluster_dir() const { return cluster_; }
  // The database going away and coming back (outage tests): pg_ctl stop -m fast, keeping the
  // data, and pg_ctl start again on the same port. Throw std::runtime_error on failure.
  void halt();
  void resume();
  void stop();    // pg_ctl stop -m immediate, then removes the cluster and the state directory
  void detach();  // leave the server running when this object (and its process) goes away: the fixture's start

 private:
  PostgresServer() = default;
  int ask(const char* verb);  // has the watchdog run initdb|start|halt; its exit code (-1: no answer)
  // Tells the watchdog (above) to leave (`leave`), or lets it go to stop the server and remove
  // the directories (a failed start), and waits until it has ended.
  void disarm_watchdog(bool leave = true);
  std::filesystem::path dir_;      // server.conf "port user password cluster_dir", logs
  std::filesystem::path cluster_;  // the data directory's parent, owned by the server's user
  int port_ = 0;
  std::string user_ = "qg_test";
  std::string password_;
  bool owned_ = true;
  bool running_ = false;
  int watchdog_fd_ = -1;           // the watchdog's command pipe, write end; -1: none
  int watchdog_reply_fd_ = -1;     // its replies (exit codes), read end
};

// The test binary's server (see above). Throws std::runtime_error when none can be started.
PostgresServer& shared_postgres();

// Stops the server start()ed with state in `dir`, if one runs, and removes its cluster and `dir`.
void stop_postgres_in(const std::filesystem::path& dir);

// Where initdb/pg_ctl live ("" when not found): PATH first, then /usr/lib/postgresql/*/bin.
std::string postgres_bin_dir();

}  // namespace qg::test
