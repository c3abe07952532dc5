// tests/http/fake_provider_process.hpp — qg-fake-provider as a child process for proxy tests.
//
// Starts <build>/tests/fakes/qg-fake-provider with the given flags on 127.0.0.1:0, waits for
// its "listening on 127.0.0.1:PORT" line, and kills it (SIGTERM, then SIGKILL) on destruction.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace qg::test {

class FakeProviderProcess {
 public:
  explicit FakeProviderProcess(std::vector<std::string> args);
  ~FakeProviderProcess();
  FakeProviderProcess(const FakeProviderProcess&) = delete;
  FakeProviderProcess& operator=(const FakeProviderProcess&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  std::string log() const;  // its stderr so far

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace qg::test
