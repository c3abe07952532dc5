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

// The watchdog: a shell that runs every command that starts or stops the server (initdb,
// pg_ctl start, pg_ctl stop for halt()), one verb at a time from a pipe only this process holds
// the write end of (O_CLOEXEC: no child inherits it), answering each with its exit code on a
// second pipe. It is nobody's child here: a launcher in its own session starts it in the
// background and exits, so it is out of this process's process group, terminal and process
// tree — ctest's timeout kill, which SIGKILLs the test and every descendant it finds, leaves
// it, and a command it runs, alone (before, the kill took the watchdog along and the server
// ran on). `leave` ends it quietly (stop() or detach() took over); end of file (this process
// died, by any signal, SIGKILL included) makes it stop the server (pg_ctl stop -m immediate)
// and remove the cluster and the state directory — after the command under way, so a
// `pg_ctl start` still starting the server when the process died is waited for and then
// stopped (before, the watchdog raced it: a server started after it looked, or a directory
// refilled after it removed it). Commands run as the server's user (the runuser prefix).
// $1 bin dir, $2 cluster dir, $3 state dir, $4 superuser, $5... the runuser prefix (none when not root).
constexpr const char* kWatchdogScript = R"(trap '' INT TERM HUP QUIT PIPE
bin=$1 cluster=$2 state=$3 user=$4; shift 4
data=$cluster/data
while read -r verb; do
  case $verb in
    initdb) "$@" "$bin/initdb" -D "$data" -U "$user" --pwfile="$cluster/pwfile" -A scram-sha-256 -E UTF8 \
              --locale=C --no-sync --no-instructions </dev/null >>"$state/initdb.log" 2>&1 ;;
    start) "$@" "$bin/pg_ctl" -D "$data" -l "$cluster/server.log" -w -t 60 start </dev/null >>"$state/pg_ctl.log" 2>&1 ;;
    halt) "$@" "$bin/pg_ctl" -D "$data" -m fast -w stop </dev/null >>"$state/pg_ctl.log" 2>&1 ;;
    leave) exit 0 ;;
    *) false ;;
  esac
  echo $?
done
if [ -f "$data/postmaster.pid" ]; then
  "$@" "$bin/pg_ctl" -D "$data" -m immediate -w stop </dev/null >/dev/null 2>&1
fi
rm -rf "$cluster" "$state"
)";

// Starts the watchdog in the background with the pipes it was given as stdin and stdout
// (fd 3 keeps the command pipe across the background job's stdin reset), then exits.
constexpr const char* kLauncherScript =
    "script=$0; exec 3<&0; /bin/sh -c \"$script\" qg-pg-watchdog \"$@\" <&3 3<&- & exit 0";

// Starts the watchdog for a server in `cluster` with state in `dir`; returns false (and sets
// nothing) when it could not be started.
bool start_watchdog(const fs::path& bin, const fs::path& cluster, const fs::path& dir, const std::string& user,
                    int& commands, int& replies) {
  int to[2], from[2];
  if (::pipe2(to, O_CLOEXEC) != 0) return false;
  if (::pipe2(from, O_CLOEXEC) != 0) {
    ::close(to[0]);
    ::close(to[1]);
    return false;
  }
  std::vector<std::string> argv = {"/bin/sh", "-c", kLauncherScript, kWatchdogScript, bin.string(),
                                   cluster.string(), dir.string(), user};
  for (auto& word : as_server_user()) argv.push_back(std::move(word));
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nobody's pipe is held open by it
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // out of the test's process group and terminal
  pid_t launcher = -1;
  const int rc = posix_spawn(&launcher, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to[0]);
  ::close(from[1]);
  int status = 0;
  if (rc == 0)
    while (::waitpid(launcher, &status, 0) < 0 && errno == EINTR) {}
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ::close(to[1]);
    ::close(from[0]);
    return false;
  }
  commands = to[1];
  replies = from[0];
  return true;
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
  if (!start_watchdog(bin, s->cluster_, dir, s->user_, s->watchdog_fd_, s->watchdog_reply_fd_)) {
    fs::remove_all(s->cluster_);
    throw std::runtime_error("postgres test server: cannot start the watchdog (/bin/sh)");
  }
  s->password_ = random_hex(24);
  const fs::path pwfile = s->cluster_ / "pwfile";
  std::ofstream(pwfile) << s->password_ << '\n';
  give_to(pwfile, pw);
  const fs::path data = s->cluster_ / "data";
  if (s->ask("initdb") != 0)
    throw std::runtime_error("postgres test server: initdb failed in " + s->cluster_.string() + ":\n" +
                             tail_of(dir / "initdb.log"));
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
    if (s->ask("start") == 0) {
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
  // Still armed: a start that failed half-way (initdb, pg_ctl start); the watchdog, let go
  // without a word, removes what it made.
  disarm_watchdog(/*leave=*/false);
}

int PostgresServer::ask(const char* verb) {
  if (watchdog_fd_ < 0) return -1;
  const std::string line = std::string(verb) + "\n";
  if (::write(watchdog_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return -1;
  std::string reply;
  char c = 0;
  for (ssize_t n; (n = ::read(watchdog_reply_fd_, &c, 1)) != 0 && c != '\n';) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    reply += c;
  }
  return reply.empty() ? -1 : std::atoi(reply.c_str());
}

void PostgresServer::disarm_watchdog(bool leave) {
  if (watchdog_fd_ < 0) return;
  if (leave) {
    [[maybe_unused]] auto written = ::write(watchdog_fd_, "leave\n", 6);
  }
  ::close(watchdog_fd_);
  watchdog_fd_ = -1;
  char buf[64];  // its end of the reply pipe closes when it has left
  for (ssize_t n; (n = ::read(watchdog_reply_fd_, buf, sizeof buf)) != 0;)
    if (n < 0 && errno != EINTR) break;
  ::close(watchdog_reply_fd_);
  watchdog_reply_fd_ = -1;
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
  if (ask("halt") != 0)
    throw std::runtime_error("postgres test server: pg_ctl stop failed:\n" + tail_of(dir_ / "pg_ctl.log"));
}

void PostgresServer::resume() {
  if (ask("start") != 0)
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
