// tests/http/fake_provider_process.cpp — see fake_provider_process.hpp.
#include "tests/http/fake_provider_process.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace qg::test {

FakeProviderProcess::FakeProviderProcess(std::vector<std::string> args) {
  std::string exe = std::string(QG_BINARY_DIR) + "/tests/fakes/qg-fake-provider";
  char tmpl[] = "/tmp/qg-fake-provider-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = tmpl;
  args.insert(args.begin(), exe);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = log();
    auto pos = text.find("listening on 127.0.0.1:");
    if (pos != std::string::npos && text.find('\n', pos) != std::string::npos) {
      port_ = std::atoi(text.c_str() + pos + 23);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("qg-fake-provider exited: " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("qg-fake-provider did not start: " + log());
}

FakeProviderProcess::~FakeProviderProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (!log_path_.empty()) std::remove(log_path_.c_str());
}

std::string FakeProviderProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace qg::test
