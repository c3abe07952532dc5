// tests/support/daemon_process.hpp — the real quotaguard binary as a child process, for
// end-to-end tests.
//
//   qg::test::DaemonProcess d(qg::test::DaemonOptions().config("log: {level: debug}\n"));
//   REQUIRE_MESSAGE(d.start(), d.stderr_text());      // waits for the port and /ready
//   auto r = qg::test::http_get("127.0.0.1", d.port(), "/health");
//   CHECK(d.stop() == 0);                             // SIGTERM, then the exit code
//
// Each process gets its own temp dir as working directory and HOME, stdout/stderr captured
// to files there, and a clean environment (PATH plus what you pass) so the developer's
// QUOTAGUARD_* variables never leak in. The daemon listens on 127.0.0.1:0 and the port is read
// from its `listening on HOST:PORT` log line. run_quotaguard() runs one-shot commands.
// Under QG_TEST_STORAGE=postgres both run the binary on PostgreSQL instead (test_storage.hpp).
#pragma once

#include "tests/support/http_call.hpp"
#include "tests/support/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qg::test {

// Path of the binary under test: $QG_BINARY if set, else <build>/cli/quotaguard.
std::string quotaguard_binary();

struct RunOptions {
  std::map<std::string, std::string> env;  // on top of PATH and HOME=<cwd>
  std::string cwd;                         // "" = a fresh temp dir
  std::string stdin_text;
  std::chrono::milliseconds timeout = std::chrono::seconds{30};

  RunOptions& in(std::string dir) { cwd = std::move(dir); return *this; }
  RunOptions& set_env(const std::string& k, std::string v) { env[k] = std::move(v); return *this; }
};

struct ProcessResult {
  int exit_code = -1;        // 128 + signal when killed by a signal; -1 on timeout
  std::string out;           // stdout
  std::string err;           // stderr
  bool timed_out = false;
};

// Runs `quotaguard args...` to completion (killed after opts.timeout).
ProcessResult run_quotaguard(const std::vector<std::string>& args, const RunOptions& opts = {});

struct DaemonOptions {
  std::string config_yaml;                 // written to <dir>/config.yaml + --config, if set
  std::vector<std::string> args;           // after `serve --listen <listen>` (e.g. {"--db","x"})
  std::map<std::string, std::string> env;  // on top of PATH and HOME=<dir>
  std::string listen = "127.0.0.1:0";      // "" = no --listen flag
  bool wait_ready = true;                  // start() also waits for GET /ready == 200
  std::chrono::milliseconds start_timeout = std::chrono::seconds{20};

  DaemonOptions& config(std::string yaml) { config_yaml = std::move(yaml); return *this; }
  DaemonOptions& set_env(const std::string& k, std::string v) { env[k] = std::move(v); return *this; }
  DaemonOptions& arg(std::string a) { args.push_back(std::move(a)); return *this; }
};

class DaemonProcess {
 public:
  explicit DaemonProcess(DaemonOptions options = {});
  ~DaemonProcess();  // SIGKILL and reap if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Spawns the daemon and waits for its port (and /ready). False when it exited or timed
  // out; `why` then says what happened (stderr_text() has the daemon's own words).
  bool start(std::string* why = nullptr);

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string base_url() const;           // "http://127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  bool running();                         // false once it has exited (and been reaped)
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds{20});

  HttpReply get(const std::string& path, const Headers& headers = {}) const;
  HttpReply post(const std::string& path, const std::string& json_body,
                 const Headers& headers = {}) const;

  // Sends `sig` and waits for the exit; returns the exit code (128 + signal when killed by a
  // signal, -1 when it did not exit within `timeout`, after which it is SIGKILLed).
  int stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds{20});
  // Waits for the process to exit on its own; same codes as stop().
  int wait_exit(std::chrono::milliseconds timeout);
  void kill_now();                        // SIGKILL and reap (crash simulation)
  std::optional<int> exit_code() const { return exit_code_; }

  std::string stderr_text() const;
  std::string stdout_text() const;
  const TempDir& dir() const { return dir_; }
  std::string config_path() const { return dir_.file("config.yaml"); }

 private:
  DaemonOptions options_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string host_ = "127.0.0.1";
  std::optional<int> exit_code_;
};

}  // namespace qg::test
