// tests/support/postgres_server.cpp — see postgres_server.hpp.
#include "tests/support/postgres_server.hpp"

#include <libpq-fe.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace qg::test {

namespace fs = std::filesystem;

namespace {

bool executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

bool has_binaries(const fs::path& dir) {
  return executable(dir / "initdb") && executable(dir / "pg_ctl");
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

// A port nothing listens on right now (the kernel's pick for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("postgres test server: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  if (port == 0) throw std::runtime_error("postgres test server: no free port on 127.0.0.1");
  return port;
}

std::string random_hex(std::size_t n) {
  std::random_device rd;
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += digits[rd() % 16];
  return out;
}

// When running as root, the account the server runs as; nullptr otherwise.
const passwd* server_account() {
  if (::geteuid() != 0) return nullptr;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr)
    throw std::runtime_error(
        "postgres test server: running as root, and PostgreSQL refuses to run as root, but there "
        "is no 'postgres' user to run it as (install the postgresql package: "
        "scripts/install-deps.sh)");
  return pw;
}

void give_to(const fs::path& path, const passwd* pw) {
  if (pw == nullptr) return;
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("postgres test server: cannot chown " + path.string() + " to postgres");
}

// The words that run a command as the server's user: `runuser -u postgres --` when root, none
// otherwise.
std::vector<std::string> as_server_user() {
  if (server_account() == nullptr) return {};
  return {executable("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "runuser", "-u", "postgres", "--"};
}

// Runs `argv` (as the postgres user when root) with stdout/stderr appended to `log`; returns
// the exit code (-1 when it could not be started).
int run(std::vector<std::string> argv, const fs::path& log) {
  const auto as = as_server_user();
  argv.insert(argv.begin(), as.begin(), as.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string conninfo(int port, const std::string& user, const std::string& password,
                     const std::string& database) {
  return "postgresql://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port) + "/" +
         database + "?connect_timeout=10";
}

// "" when the server answers a connection, else libpq's reason.
std::string ping(const std::string& dsn) {
  PGconn* c = PQconnectdb(dsn.c_str());
  std::string why = PQstatus(c) == CONNECTION_OK ? "" : PQerrorMessage(c);
  PQfinish(c);
  return why;
}

// The watchdog: a shell in its own session, ignoring the terminal's signals, that blocks on a
// pipe only this process holds the write end of (O_CLOEXEC: no child inherits it). A line on
// the pipe (stop() or detach() took over) ends it quietly; end of file (this process died, by
// any signal, SIGKILL included) makes it stop the server (pg_ctl stop -m immediate, as the
// server's user) and remove the cluster and the state directory.
// $1 bin dir, $2 cluster dir, $3 state dir, $4... the runuser prefix (none when not root).
constexpr const char* kWatchdogScript =
    "trap '' INT TERM HUP QUIT PIPE\n"
    "if read -r _; then exit 0; fi\n"
    "bin=$1 cluster=$2 state=$3; shift 3\n"
    "if [ -f \"$cluster/data/postmaster.pid\" ]; then\n"
    "  \"$@\" \"$bin/pg_ctl\" -D \"$cluster/data\" -m immediate -w stop >/dev/null 2>&1\n"
    "fi\n"
    "rm -rf \"$cluster\" \"$state\"\n";

// Starts the watchdog for a server in `cluster` with state in `dir`; returns the pipe's write
// end (-1 when it could not be started: the server then lives only until stop(), as before).
int start_watchdog(const fs::path& bin, const fs::path& cluster, const fs::path& dir, pid_t& pid) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  std::vector<std::string> argv = {"/bin/sh", "-c", kWatchdogScript, "qg-pg-watchdog", bin.string(),
                                   cluster.string(), dir.string()};
  for (auto& word : as_server_user()) argv.push_back(std::move(word));
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nobody's pipe is held open by it
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // out of the test's process group and terminal
  const int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return -1;
  }
  return fds[1];
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("postgres test server: mkdtemp failed for " + pattern);
  return pattern;
}

}  // namespace

void stop_postgres_in(const fs::path& dir) {
  std::ifstream in(dir / "server.conf");
  std::string port, user, password, cluster;
  std::error_code ec;
  if (in >> port >> user >> password >> cluster && fs::exists(fs::path(cluster) / "data" / "postmaster.pid")) {
    const fs::path bin = postgres_bin_dir();
    if (!bin.empty())
      run({(bin / "pg_ctl").string(), "-D", (fs::path(cluster) / "data").string(), "-m", "immediate", "-w",
           "stop"},
          dir / "pg_ctl.log");
  }
  if (!cluster.empty()) fs::remove_all(cluster, ec);
  fs::remove_all(dir, ec);
}

std::string postgres_bin_dir() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string entry;
    while (std::getline(ss, entry, ':'))
      if (!entry.empty() && has_binaries(entry)) return entry;
  }
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& version : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (has_binaries(version.path() / "bin")) found.push_back(version.path() / "bin");
  if (found.empty()) return "";
  // Newest major version first (15 > 9.6: compare numerically).
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atof(a.parent_path().filename().c_str()) > std::atof(b.parent_path().filename().c_str());
  });
  return found.front().string();
}

std::unique_ptr<PostgresServer> PostgresServer::start(const fs::path& dir) {
  const fs::path bin = postgres_bin_dir();
  if (bin.empty())
    throw std::runtime_error(
        "postgres test server: initdb and pg_ctl not found on PATH nor in "
        "/usr/lib/postgresql/*/bin (install the postgresql package: scripts/install-deps.sh)");
  const passwd* pw = server_account();
  stop_postgres_in(dir);  // a server left behind by an interrupted run
  fs::create_directories(dir);

  std::unique_ptr<PostgresServer> s(new PostgresServer());
  s->dir_ = dir;
  s->cluster_ = make_temp_dir("qg-pg-cluster");
  give_to(s->cluster_, pw);  // mkdtemp made it 0700: the server's user must own it
  s->watchdog_fd_ = start_watchdog(bin, s->cluster_, dir, s->watchdog_pid_);
  s->password_ = random_hex(24);
  const fs::path pwfile = s->cluster_ / "pwfile";
  std::ofstream(pwfile) << s->password_ << '\n';
  give_to(pwfile, pw);
  const fs::path data = s->cluster_ / "data";
  const fs::path log = dir / "initdb.log";
  if (run({(bin / "initdb").string(), "-D", data.string(), "-U", s->user_, "--pwfile=" + pwfile.string(),
           "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
          log) != 0)
    throw std::runtime_error("postgres test server: initdb failed in " + s->cluster_.string() + ":\n" +
                             tail_of(log));
  fs::remove(pwfile);

  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {  // a port can be taken between pick and bind
    s->port_ = free_port();
    {
      std::ofstream conf(data / "postgresql.auto.conf", std::ios::trunc);
      conf << "port = " << s->port_ << "\n"
           << "listen_addresses = '127.0.0.1'\n"
           << "unix_socket_directories = ''\n"
           << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
           << "shared_buffers = 16MB\nmax_connections = 200\n";
    }
    give_to(data / "postgresql.auto.conf", pw);
    const fs::path server_log = s->cluster_ / "server.log";
    if (run({(bin / "pg_ctl").string(), "-D", data.string(), "-l", server_log.string(), "-w", "-t", "60",
             "start"},
            dir / "pg_ctl.log") == 0) {
      s->running_ = true;
      std::ofstream(dir / "server.conf") << s->port_ << ' ' << s->user_ << ' ' << s->password_ << ' '
                                         << s->cluster_.string() << '\n';
      if (std::string why = ping(s->dsn()); !why.empty())
        throw std::runtime_error("postgres test server: started but refuses connections: " + why);
      return s;
    }
    last_error = tail_of(dir / "pg_ctl.log") + tail_of(server_log);
  }
  throw std::runtime_error("postgres test server: pg_ctl start failed in " + s->cluster_.string() + ":\n" +
                           last_error);
}

std::unique_ptr<PostgresServer> PostgresServer::attach(const fs::path& dir) {
  std::ifstream in(dir / "server.conf");
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  std::string cluster;
  if (!(in >> s->port_ >> s->user_ >> s->password_ >> cluster)) return nullptr;
  s->cluster_ = cluster;
  s->dir_ = dir;
  s->owned_ = false;
  s->running_ = true;
  if (!ping(s->dsn()).empty()) return nullptr;
  return s;
}

PostgresServer::~PostgresServer() {
  if (owned_ && running_) {
    try {
      stop();
    } catch (...) {
    }
  }
  disarm_watchdog();
}

void PostgresServer::disarm_watchdog() {
  if (watchdog_fd_ < 0) return;
  [[maybe_unused]] auto written = ::write(watchdog_fd_, "d\n", 2);
  ::close(watchdog_fd_);
  watchdog_fd_ = -1;
  int status = 0;
  while (::waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {}
}

std::string PostgresServer::dsn(const std::string& database) const {
  return conninfo(port_, user_, password_, database);
}

std::string PostgresServer::create_database() {
  static std::atomic<int> counter{0};
  const std::string name = "qg_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  exec("CREATE DATABASE " + name);
  return dsn(name);
}

void PostgresServer::exec(const std::string& sql, const std::string& database) const {
  PGconn* c = PQconnectdb(dsn(database).c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  if (!error.empty()) throw std::runtime_error("postgres test server: " + sql + ": " + error);
}

void PostgresServer::stop() {
  running_ = false;
  stop_postgres_in(dir_);
  disarm_watchdog();
}

void PostgresServer::halt() {
  const fs::path bin = postgres_bin_dir();
  if (run({(bin / "pg_ctl").string(), "-D", (cluster_ / "data").string(), "-m", "fast", "-w", "stop"},
          dir_ / "pg_ctl.log") != 0)
    throw std::runtime_error("postgres test server: pg_ctl stop failed:\n" + tail_of(dir_ / "pg_ctl.log"));
}

void PostgresServer::resume() {
  const fs::path bin = postgres_bin_dir();
  if (run({(bin / "pg_ctl").string(), "-D", (cluster_ / "data").string(), "-l", (cluster_ / "server.log").string(),
           "-w", "-t", "60", "start"},
          dir_ / "pg_ctl.log") != 0)
    throw std::runtime_error("postgres test server: pg_ctl start failed:\n" + tail_of(dir_ / "pg_ctl.log"));
}

void PostgresServer::detach() {
  owned_ = false;
  disarm_watchdog();  // the fixture's server outlives the process that started it
}

PostgresServer& shared_postgres() {
  static std::unique_ptr<PostgresServer> server = [] {
    if (const char* dir = std::getenv("QG_TEST_POSTGRES_DIR"); dir != nullptr && *dir != '\0')
      if (auto attached = PostgresServer::attach(dir)) return attached;
    return PostgresServer::start(make_temp_dir("qg-pg"));
  }();
  return *server;
}

}  // namespace qg::test
