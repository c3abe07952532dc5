// tests/cliproxy/fake_process.hpp — run a test helper binary (qg-fake-cliproxy, quotaguard)
// as a child process; wait for its "listening on 127.0.0.1:PORT" line; kill it at scope end.
#pragma once

#include <string>
#include <vector>

namespace qg::cliproxy::test {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; if `wait_listening`, blocks (<= 10 s) until stderr shows
  // "listening on 127.0.0.1:PORT" and records PORT.
  ChildProcess(std::vector<std::string> argv, bool wait_listening = true);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int port_ = 0;
  int stderr_fd_ = -1;
};

// Runs argv to completion with extra environment entries ("K=V"); returns exit code and
// captures stdout and stderr.
struct RunResult {
  int exit_code = -1;
  std::string out, err;
};
RunResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

std::string fake_cliproxy_path();  // build-dir path of qg-fake-cliproxy

}  // namespace qg::cliproxy::test
