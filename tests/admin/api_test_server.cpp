// tests/admin/api_test_server.cpp — see api_test_server.hpp.
#include "tests/admin/api_test_server.hpp"

#include "http/admin_routes.hpp"
#include "http/advisory_routes.hpp"
#include "http/client_auth.hpp"
#include "http/metrics_routes.hpp"

#include <chrono>
#include <stdexcept>

namespace qg::test {

ApiTestServer::ApiTestServer(std::string token) : token_(std::move(token)) {
  AccountSpec a;
  a.provider = "openai";
  a.type = "openai";
  a.limits = {{Metric::requests, 60, 100}, {Metric::tokens, 86400, 10000}};
  ops.add_account("acc-a", a);
  AccountSpec b;
  b.provider = "anthropic";
  b.type = "claude";
  b.limits = {{Metric::requests, 60, 100}};
  ops.add_account("acc-b", b);

  auto admin_token = std::make_shared<AdminToken>(token_);
  register_admin_routes(server_, ops, AdminRouteOptions{admin_token});
  register_advisory_routes(server_, ops, AdvisoryRouteOptions{admin_token, [this] { return ops.now; }});
  register_metrics_routes(server_, ops);
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("cannot bind a test port");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

ApiTestServer::~ApiTestServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

httplib::Client ApiTestServer::client(bool auth) const {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(5);
  c.set_read_timeout(5);
  if (auth && !token_.empty()) c.set_bearer_token_auth(token_.c_str());
  return c;
}

nlohmann::json json_of(const httplib::Result& r) {
  if (!r) return nullptr;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

std::string error_message(const httplib::Result& r) {
  const auto j = json_of(r);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  return j["error"].value("message", std::string());
}

}  // namespace qg::test
