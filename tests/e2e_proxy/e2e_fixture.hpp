// tests/e2e_proxy/e2e_fixture.hpp — a daemon in front of fake providers, for end-to-end tests.
//
// Builds a config with one account per (name, upstream port, key, daily request limit), starts
// the real binary on a free port with its event log in a temp dir, and offers the few calls
// the tests need: a chat request, the fake's served totals, the event log as JSON objects.
#pragma once

#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace qg::test {

struct E2eAccount {
  std::string id;
  int upstream_port = 0;
  std::string api_key;
  int daily_requests = 0;  // 0 = no configured limit
  std::string provider = "openai";
  std::string base_path = "/v1";  // the base_url path on the fake
  std::string models;             // YAML flow list, "" = any model
};

struct E2eDaemon {
  TempDir data{"qg-e2e-data"};
  std::unique_ptr<DaemonProcess> daemon;

  std::string db_path() const { return data.file("qg.db"); }
  // Starts (or restarts) the daemon on the same event log.
  void start(const std::vector<E2eAccount>& accounts, const std::string& extra_yaml = "");
  HttpReply chat(const std::string& model, bool stream = false, const std::string& client_key = "") const;
  // Every event in the log as replay --json objects (read through the admin API).
  std::vector<nlohmann::json> events() const;
  // `quotaguard replay --verify` on the log; returns its exit code.
  int verify() const;
};

// GET /_served of a fake provider: {"keys":{...},"total":{...}}.
nlohmann::json served(int fake_port);

}  // namespace qg::test
