// tests/http/proxy_harness.hpp — the proxy routes in-process on 127.0.0.1:0 in front of a
// real qg-fake-provider process, with a FixedBackend and every log line captured (at trace
// level) so tests can prove no secret was logged.
#pragma once

#include "http/proxy_routes.hpp"
#include "tests/http/fake_provider_process.hpp"
#include "tests/http/fixed_backend.hpp"

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace qg::test {

// Secrets used by the proxy tests; none may ever reach a log line.
inline const std::string kClientKey = "qg-client-secret-1234567890";
inline std::string upstream_key(const std::string& name) { return "sk-upstream-secret-" + name; }

class ProxyHarness {
 public:
  ProxyHarness(std::vector<std::string> fake_args, std::vector<FixedAccount> accounts, ProxyOptions options);
  ~ProxyHarness();

  int port() const { return port_; }
  FakeProviderProcess& fake() { return *fake_; }
  FixedBackend& backend() { return *backend_; }
  std::string logs() const { return logs_->str(); }
  std::string served_json() const;  // GET /_served of the fake

 private:
  std::unique_ptr<FakeProviderProcess> fake_;
  std::shared_ptr<FixedBackend> backend_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::shared_ptr<std::ostringstream> logs_;
};

// An account on the harness' fake provider, named by its key suffix.
FixedAccount fake_account(const std::string& name, const std::string& base_url,
                          std::vector<std::string> models = {});

bool wait_until(const std::function<bool()>& pred, int timeout_ms = 5000);

}  // namespace qg::test
