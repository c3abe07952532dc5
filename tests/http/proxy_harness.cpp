// tests/http/proxy_harness.cpp — see proxy_harness.hpp.
#include "tests/http/proxy_harness.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace qg::test {

ProxyHarness::ProxyHarness(std::vector<std::string> fake_args, std::vector<FixedAccount> accounts,
                           ProxyOptions options)
    : logs_(std::make_shared<std::ostringstream>()) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*logs_);
  auto logger = std::make_shared<spdlog::logger>("proxy-test", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  fake_ = std::make_unique<FakeProviderProcess>(std::move(fake_args));
  for (auto& a : accounts)
    if (a.base_url.empty()) a.base_url = fake_->base_url();
  backend_ = std::make_shared<FixedBackend>(std::move(accounts));
  server_ = std::make_unique<httplib::Server>();
  server_->set_tcp_nodelay(true);
  server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  register_proxy_routes(*server_, backend_, options);
  port_ = server_->bind_to_any_port("127.0.0.1");
  REQUIRE(port_ > 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

ProxyHarness::~ProxyHarness() {
  server_->stop();
  thread_.join();
  std::string text = logs();
  CHECK_MESSAGE(text.find(kClientKey) == std::string::npos, "client key in the log");
  CHECK_MESSAGE(text.find("sk-upstream-secret") == std::string::npos, "upstream key in the log");
  CHECK_FALSE(backend_->resolved_twice);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
}

std::string ProxyHarness::served_json() const {
  httplib::Client c("127.0.0.1", fake_->port());
  auto r = c.Get("/_served");
  return r ? r->body : "";
}

FixedAccount fake_account(const std::string& name, const std::string& base_url, std::vector<std::string> models) {
  return FixedAccount{name, base_url, upstream_key(name), std::move(models), ""};
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace qg::test
