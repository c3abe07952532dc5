// tests/support/daemon_process.cpp — see daemon_process.hpp.
#include "tests/support/daemon_process.hpp"

#include "tests/support/test_storage.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

namespace qg::test {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Starts `argv` in `cwd` with exactly `env`, stdout/stderr/stdin redirected to files.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& cwd, const std::string& out_file, const std::string& err_file,
            const std::string& in_file) {
  // Everything the child needs is prepared before fork: it may only call async-signal-safe code.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid != 0) return pid;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::chdir(cwd.c_str()) != 0) ::_exit(126);
  int in = ::open(in_file.empty() ? "/dev/null" : in_file.c_str(), O_RDONLY);
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ::execve(args[0], args.data(), envp.data());
  ::_exit(127);
}

std::map<std::string, std::string> base_env(const std::string& home,
                                            const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path != nullptr ? path : "/usr/bin:/bin";
  env["HOME"] = home;
  env["LANG"] = "C.UTF-8";
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

// Waits for `pid` up to `timeout`; the exit code, or nullopt while it still runs.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string quotaguard_binary() {
  const char* override_path = std::getenv("QG_BINARY");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  return std::string(QG_BINARY_DIR) + "/cli/quotaguard";
}

ProcessResult run_quotaguard(const std::vector<std::string>& args, const RunOptions& opts) {
  TempDir scratch("qg-run");
  std::string cwd = opts.cwd.empty() ? scratch.str() : opts.cwd;
  std::vector<std::string> argv = args;
  auto env = base_env(cwd, opts.env);
  apply_test_storage(argv, cwd, env);
  argv.insert(argv.begin(), quotaguard_binary());
  std::string in_file;
  if (!opts.stdin_text.empty()) in_file = scratch.write("stdin.txt", opts.stdin_text);
  pid_t pid = spawn(argv, env, cwd, scratch.file("stdout.txt"), scratch.file("stderr.txt"), in_file);
  ProcessResult result;
  auto code = wait_pid(pid, opts.timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    wait_pid(pid, std::chrono::seconds{5});
    result.timed_out = true;
  } else {
    result.exit_code = *code;
  }
  result.out = scratch.read("stdout.txt");
  result.err = scratch.read("stderr.txt");
  return result;
}

DaemonProcess::DaemonProcess(DaemonOptions options)
    : options_(std::move(options)), dir_("qg-daemon") {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_code_) kill_now();
}

bool DaemonProcess::start(std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why != nullptr) *why = reason + "\n--- daemon stderr ---\n" + stderr_text();
    return false;
  };
  std::vector<std::string> argv{"serve"};
  if (!options_.config_yaml.empty()) {
    dir_.write("config.yaml", options_.config_yaml);
    argv.insert(argv.end(), {"--config", config_path()});
  }
  if (!options_.listen.empty()) argv.insert(argv.end(), {"--listen", options_.listen});
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  auto env = base_env(dir_.str(), options_.env);
  apply_test_storage(argv, dir_.str(), env);
  argv.insert(argv.begin(), quotaguard_binary());
  pid_ = spawn(argv, env, dir_.str(), dir_.file("stdout.log"), dir_.file("stderr.log"), "");
  if (pid_ < 0) return fail("fork failed");

  static const std::regex kListening(R"(listening on (\[[^\]]+\]|[^\s:"]+):(\d+))");
  auto deadline = Clock::now() + options_.start_timeout;
  while (port_ == 0) {
    std::smatch m;
    std::string err = stderr_text();
    if (std::regex_search(err, m, kListening)) {
      host_ = m[1].str();
      if (host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
      port_ = std::stoi(m[2].str());
      break;
    }
    if (!running()) return fail("quotaguard exited with " + std::to_string(*exit_code_));
    if (Clock::now() >= deadline) return fail("no `listening on` line in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (host_ == "0.0.0.0") host_ = "127.0.0.1";
  if (host_ == "::") host_ = "::1";
  if (options_.wait_ready &&
      !wait_ready(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())))
    return fail(running() ? "GET /ready did not turn 200 in time"
                          : "quotaguard exited with " + std::to_string(*exit_code_));
  return true;
}

std::string DaemonProcess::base_url() const {
  bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

bool DaemonProcess::running() {
  if (pid_ <= 0 || exit_code_) return false;
  if (auto code = wait_pid(pid_, std::chrono::milliseconds{0})) {
    exit_code_ = *code;
    return false;
  }
  return true;
}

bool DaemonProcess::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!running()) return false;
    if (http_get(host_, port_, "/ready", {}, std::chrono::seconds{2}).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

HttpReply DaemonProcess::get(const std::string& path, const Headers& headers) const {
  return http_get(host_, port_, path, headers);
}

HttpReply DaemonProcess::post(const std::string& path, const std::string& json_body,
                              const Headers& headers) const {
  return http_request("POST", host_, port_, path, json_body, "application/json", headers);
}

int DaemonProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_.value_or(-1);
  ::kill(pid_, sig);
  return wait_exit(timeout);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return *exit_code_;
  if (auto code = wait_pid(pid_, timeout)) {
    exit_code_ = *code;
    return *code;
  }
  kill_now();
  return -1;
}

void DaemonProcess::kill_now() {
  if (pid_ <= 0 || exit_code_) return;
  ::kill(pid_, SIGKILL);
  exit_code_ = wait_pid(pid_, std::chrono::seconds{10}).value_or(-1);
}

std::string DaemonProcess::stderr_text() const { return dir_.read("stderr.log"); }
std::string DaemonProcess::stdout_text() const { return dir_.read("stdout.log"); }

}  // namespace qg::test
