// Security, secrets: no configured secret (upstream API keys, client api_keys, admin token,
// Telegram bot token — also one rotated in by a reload) appears in any log line at trace
// level, in GET /api/v1/export, in the event log, in error bodies, in /metrics, or in the
// output of the one-shot commands (check, replay). Real binary, real fake upstream. On
// PostgreSQL (`make test-postgres`) the DSN's password is checked as well.
#include "tests/http/fake_provider_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_storage.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace qg::test;

namespace {

const std::string kUpstreamKey = "sk-sec-UPSTREAM-7f3a9c11d2";
const std::string kFaultyKey = "sk-sec-FAULTY-0b1e77aa45";
const std::string kRotatedKey = "sk-sec-ROTATED-5c5c9e3f01";
const std::string kClientKey = "ck-sec-CLIENT-41b2d9e07a";
const std::string kAdminToken = "adm-sec-TOKEN-93e1f0c4b8";
const std::string kTelegramToken = "123456789:AAsecTELEGRAMtoken_abcdefghijklmnopq";

std::string config_yaml(int fake_port, const std::string& upstream_key) {
  const std::string base = "http://127.0.0.1:" + std::to_string(fake_port) + "/v1";
  return "server:\n  api_keys: [\"" + kClientKey + "\"]\n  admin_token: \"" + kAdminToken + "\"\n"
         "storage:\n  db_path: \"./qg.db\"\n"
         "log:\n  level: trace\n"
         "telegram:\n  enabled: true\n  token: \"" + kTelegramToken + "\"\n"
         "  api_base: \"http://127.0.0.1:9\"\n  admins: [42]\n  alert_chat: 42\n"
         "accounts:\n"
         "  - {id: good, provider: openai, base_url: \"" + base + "\", api_key: \"" + upstream_key + "\", priority: 1}\n"
         "  - {id: faulty, provider: openai, base_url: \"" + base + "\", api_key: \"" + kFaultyKey + "\", priority: 5}\n";
}

// Under `make test-postgres` the log's DSN carries a password (QUOTAGUARD_POSTGRES_DSN): a secret too.
const std::string& dsn_password() {
  static const std::string password = postgres_storage() ? shared_postgres().password() : "";
  return password;
}

// Fails the test naming `where` for each secret found in `text`.
void check_no_secret(const std::string& where, const std::string& text) {
  for (const auto* s : {&kUpstreamKey, &kFaultyKey, &kRotatedKey, &kClientKey, &kAdminToken, &kTelegramToken,
                        &dsn_password()}) {
    if (s->empty()) continue;
    CHECK_MESSAGE(text.find(*s) == std::string::npos, where << " contains the secret " << s->substr(0, 10) << "...");
    // The distinctive middle part too: a partly masked secret still leaks.
    const std::string middle = s->substr(3, 12);
    CHECK_MESSAGE(text.find(middle) == std::string::npos, where << " contains part of a secret: " << middle);
  }
}

std::string chat_body(const std::string& model) {
  return R"({"model":")" + model + R"(","max_tokens":20,"messages":[{"role":"user","content":"hi"}]})";
}

}  // namespace

TEST_CASE("no configured secret in logs, export, events, error bodies, metrics or command output") {
  FakeProviderProcess fake({"--models", "m", "--fault", kFaultyKey + "=401"});
  DaemonProcess d(DaemonOptions().config(config_yaml(fake.port(), kUpstreamKey)));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  const Headers admin{{"Authorization", "Bearer " + kAdminToken}};
  const Headers client{{"Authorization", "Bearer " + kClientKey}};
  std::vector<std::pair<std::string, HttpReply>> replies;

  // Proxied calls: the faulty account (401 upstream, preferred by priority) then the good one.
  for (int i = 0; i < 3; ++i) replies.emplace_back("chat", d.post("/v1/chat/completions", chat_body("m"), client));
  CHECK(replies.back().second.status == 200);
  replies.emplace_back("stream", d.post("/v1/chat/completions",
      R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})", client));
  // Error bodies: missing / wrong client key, bad JSON, unknown route, admin without token.
  replies.emplace_back("no client key", d.post("/v1/chat/completions", chat_body("m")));
  CHECK(replies.back().second.status == 401);
  replies.emplace_back("wrong client key", d.post("/v1/chat/completions", chat_body("m"),
                                                  {{"Authorization", "Bearer " + kClientKey + "x"}}));
  CHECK(replies.back().second.status == 401);
  replies.emplace_back("bad json", d.post("/v1/chat/completions", "{\"model\":", client));
  replies.emplace_back("admin no token", d.get("/api/v1/export"));
  replies.emplace_back("admin wrong token", d.get("/api/v1/export", {{"Authorization", "Bearer " + kAdminToken + "x"}}));
  replies.emplace_back("unknown account", d.get("/api/v1/accounts/nope", admin));
  // Effective config, state and history.
  replies.emplace_back("export", d.get("/api/v1/export", admin));
  REQUIRE(replies.back().second.status == 200);
  // Secrets are ${VAR} references (the export loads once they are set), never the values.
  CHECK(replies.back().second.body.find("\"${QUOTAGUARD_ADMIN_TOKEN}\"") != std::string::npos);
  replies.emplace_back("accounts", d.get("/api/v1/accounts", admin));
  replies.emplace_back("status", d.get("/api/v1/status", admin));

  // Rotate the upstream key through the config + reload: the new key must not leak either.
  d.dir().write("config.yaml", config_yaml(fake.port(), kRotatedKey));
  replies.emplace_back("reload", d.post("/api/v1/reload", "{}", admin));
  CHECK_MESSAGE(replies.back().second.status == 200, replies.back().second.body);
  replies.emplace_back("chat after rotation", d.post("/v1/chat/completions", chat_body("m"), client));
  CHECK(replies.back().second.status == 200);
  replies.emplace_back("events", d.get("/api/v1/events?after=0&limit=1000", admin));
  CHECK(replies.back().second.status == 200);
  replies.emplace_back("metrics", d.get("/metrics"));
  CHECK(replies.back().second.status == 200);

  for (const auto& [name, reply] : replies) {
    std::string headers;
    for (const auto& [k, v] : reply.headers) headers += k + ": " + v + "\n";
    check_no_secret("reply '" + name + "'", headers + reply.body);
  }
  REQUIRE(d.stop() == 0);
  const std::string log = d.stderr_text() + d.stdout_text();
  CHECK(log.find(" debug ") != std::string::npos);  // log.level trace really applied (nothing logs at trace yet)
  check_no_secret("daemon log", log);

  // One-shot commands over the same config and event log.
  const RunOptions run = RunOptions{}.in(d.dir().str());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"replay", "--json"}, {"replay"}, {"check", "--json"}, {"quotas", "--json"}}) {
    auto r = run_quotaguard(args, run);
    check_no_secret(args[0] + " " + (args.size() > 1 ? args[1] : ""), r.out + r.err);
  }
  // The upstream really received both keys, so the secrets were in use (not a vacuous check).
  const auto served = http_get("127.0.0.1", fake.port(), "/_served").body;
  CHECK(served.find(kRotatedKey) != std::string::npos);
  CHECK(served.find(kFaultyKey) != std::string::npos);
}
