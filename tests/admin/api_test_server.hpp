// tests/admin/api_test_server.hpp — a real httplib server on 127.0.0.1 (a free port chosen
// by the kernel) with the admin, advisory and metrics routes over a StateOperations, and
// helpers for a real httplib client.
#pragma once

#include "tests/admin/state_operations.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>
#include <thread>

namespace qg::test {

inline constexpr const char* kAdminToken = "test-admin-token-3f9c";

class ApiTestServer {
 public:
  // `token` "" = routes open. Two accounts are registered: "acc-a" (openai, 100 requests/1m,
  // 10000 tokens/1d) and "acc-b" (anthropic, 100 requests/1m).
  explicit ApiTestServer(std::string token = kAdminToken);
  ~ApiTestServer();
  ApiTestServer(const ApiTestServer&) = delete;
  ApiTestServer& operator=(const ApiTestServer&) = delete;

  StateOperations ops;
  int port() const { return port_; }
  // A client with `Authorization: Bearer <token>` when `auth`.
  httplib::Client client(bool auth = true) const;

 private:
  std::string token_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// The body as JSON (null when it is not JSON or there was no response).
nlohmann::json json_of(const httplib::Result& r);
// error.message of an OpenAI-shaped error body ("" otherwise).
std::string error_message(const httplib::Result& r);

}  // namespace qg::test
