// tests/e2e_proxy/e2e_fixture.cpp
#include "tests/e2e_proxy/e2e_fixture.hpp"

#include "tests/support/http_call.hpp"

#include <doctest/doctest.h>

namespace qg::test {

void E2eDaemon::start(const std::vector<E2eAccount>& accounts, const std::string& extra_yaml) {
  std::string yaml = "storage:\n  db_path: \"" + db_path() + "\"\n  synchronous: full\nreservations:\n  ttl: 2s\n";
  yaml += extra_yaml;
  yaml += "accounts:\n";
  for (const auto& a : accounts) {
    yaml += "  - id: " + a.id + "\n    provider: " + a.provider + "\n    base_url: \"http://127.0.0.1:" +
            std::to_string(a.upstream_port) + a.base_path + "\"\n    api_key: \"" + a.api_key + "\"\n";
    if (!a.models.empty()) yaml += "    models: " + a.models + "\n";
    if (a.daily_requests > 0)
      yaml += "    limits:\n      - {metric: requests, window: 1d, limit: " + std::to_string(a.daily_requests) + "}\n";
  }
  daemon = std::make_unique<DaemonProcess>(DaemonOptions{}.config(yaml));
  std::string why;
  REQUIRE_MESSAGE(daemon->start(&why), why);
}

HttpReply E2eDaemon::chat(const std::string& model, bool stream, const std::string& client_key) const {
  std::string body = R"({"model":")" + model + R"(","max_tokens":50,"messages":[{"role":"user","content":"hello there"}])";
  body += stream ? R"(,"stream":true})" : "}";
  Headers headers;
  if (!client_key.empty()) headers.emplace("Authorization", "Bearer " + client_key);
  return daemon->post("/v1/chat/completions", body, headers);
}

std::vector<nlohmann::json> E2eDaemon::events() const {
  std::vector<nlohmann::json> out;
  std::uint64_t after = 0;
  for (;;) {
    auto reply = daemon->get("/api/v1/events?after=" + std::to_string(after) + "&limit=1000");
    REQUIRE(reply.status == 200);
    auto j = nlohmann::json::parse(reply.body);
    if (j["events"].empty()) return out;
    for (auto& e : j["events"]) out.push_back(e);
    after = j["next_after"].get<std::uint64_t>();
  }
}

int E2eDaemon::verify() const {
  auto r = run_quotaguard({"replay", "--db", db_path(), "--verify"});
  if (r.exit_code != 0) MESSAGE("replay --verify: " << r.out << r.err);
  return r.exit_code;
}

nlohmann::json served(int fake_port) {
  auto reply = http_get("127.0.0.1", fake_port, "/_served");
  REQUIRE(reply.status == 200);
  return nlohmann::json::parse(reply.body);
}

}  // namespace qg::test
