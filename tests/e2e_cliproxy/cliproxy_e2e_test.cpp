// End-to-end: quotaguard serve discovers CLIProxyAPI accounts from the auth folder, polls their
// quotas through the (fake) management API, routes pinned requests as `<prefix>/<model>`, and
// stops routing to an account whose poll says it is exhausted.
#include "tests/cliproxy/fake_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

using namespace qg::test;
using qg::cliproxy::test::ChildProcess;
using qg::cliproxy::test::fake_cliproxy_path;
using nlohmann::json;

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// A Codex wham/usage body whose 5 h window is full until an hour from now.
json exhausted_codex_body(const std::string& fixture) {
  json body = read_json(fixture);
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  auto& w = body["rate_limit"]["primary_window"];
  w["used_percent"] = 100;
  w["reset_after_seconds"] = 3600;
  w["reset_at"] = now_s + 3600;
  body["rate_limit"]["limit_reached"] = true;
  body["rate_limit"]["allowed"] = false;
  return body;
}

}  // namespace

TEST_CASE("daemon discovers CLIProxyAPI accounts, polls quotas and routes pinned requests") {
  TempDir auth("qg-e2e-auth");
  const std::string fixtures = std::string(QG_SOURCE_DIR) + "/tests/fixtures/cliproxy/";
  json codex = read_json(fixtures + "auth-types/codex.json");
  codex["prefix"] = "cx";
  json claude = read_json(fixtures + "auth-types/claude.json");
  claude["prefix"] = "cl";
  auth.write("codex-user.json", codex.dump());
  auth.write("claude-user.json", claude.dump());

  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", auth.str(), "--management-key", "mgmt-e2e-key",
                     "--api-key", "cpa-e2e-key"});
  // The Codex account's live quota says: exhausted for the next hour.
  auto listing = http_get("127.0.0.1", fake.port(), "/v0/management/auth-files",
                          {{"Authorization", "Bearer mgmt-e2e-key"}});
  REQUIRE(listing.status == 200);
  std::string codex_index;
  const json files = json::parse(listing.body)["files"];
  for (const auto& f : files)
    if (f.value("type", "") == "codex") codex_index = f.value("auth_index", "");
  REQUIRE_FALSE(codex_index.empty());
  auto put = http_request("PUT", "127.0.0.1", fake.port(), "/_fake/quota/" + codex_index,
                          exhausted_codex_body(fixtures + "upstream/codex-wham-usage.json").dump());
  REQUIRE(put.status == 200);

  TempDir data("qg-e2e-cpa-data");
  const std::string yaml = "storage:\n  db_path: \"" + data.file("qg.db") + "\"\n" +
                           "cliproxy:\n  auth_dir: \"" + auth.str() + "\"\n  base_url: \"" + fake.base_url() +
                           "\"\n  api_key: \"cpa-e2e-key\"\n  management_key: \"mgmt-e2e-key\"\n";
  DaemonProcess qg(DaemonOptions{}.config(yaml));
  std::string why;
  REQUIRE_MESSAGE(qg.start(&why), why);

  // Discovery: both accounts, with their prefixes, no token anywhere.
  json accounts = json::parse(qg.get("/api/v1/accounts").body)["accounts"];
  REQUIRE(accounts.size() == 2);
  std::string codex_id, claude_id;
  for (const auto& a : accounts) {
    CHECK(a["provider"] == "cliproxy");
    (a["type"] == "codex" ? codex_id : claude_id) = a["id"].get<std::string>();
  }
  CHECK(accounts.dump().find(codex.value("access_token", "no-token-field")) == std::string::npos);

  // The first poll runs at start: wait for the Codex account to show the exhausted window.
  bool exhausted = false;
  for (int i = 0; i < 50 && !exhausted; ++i) {
    auto a = json::parse(qg.get("/api/v1/accounts/" + codex_id).body);
    exhausted = a["state"] == "exhausted";
    if (!exhausted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(exhausted);

  // Requests go to the account with room, pinned by its prefix.
  for (int i = 0; i < 3; ++i) {
    auto r = qg.post("/v1/chat/completions", R"({"model":"gpt-5","messages":[{"role":"user","content":"hi"}]})");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(r.header("x-quotaguard-account") == claude_id);
    CHECK(r.header("x-quotaguard-model") == "cl/gpt-5");
  }
  // A file removed from the folder stops routing (AccountRemoved), history kept.
  std::filesystem::remove(auth.file("claude-user.json"));
  bool removed = false;
  for (int i = 0; i < 50 && !removed; ++i) {
    removed = json::parse(qg.get("/api/v1/accounts/" + claude_id).body)["state"] == "disabled";
    if (!removed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(removed);
  auto r = qg.post("/v1/chat/completions", R"({"model":"gpt-5","messages":[{"role":"user","content":"hi"}]})");
  CHECK(r.status == 429);
  CHECK(qg.stop() == 0);
  CHECK(qg.stderr_text().find("mgmt-e2e-key") == std::string::npos);
  CHECK(qg.stderr_text().find("cpa-e2e-key") == std::string::npos);
}

// Point 4 of issue 14: a CLIProxyAPI account serves every dialect whatever its auth type
// (CLIProxyAPI routes by model and translates), QuotaGuard pinning it by its prefix in each
// dialect's own place (body model, Gemini URL); `quotaguard route --dialect` and GET /api/v1/route explain
// which accounts a dialect excludes; responses it cannot keep are refused, not continued blind.
TEST_CASE("every CLIProxyAPI auth type serves every dialect, pinned by prefix, route --dialect explains") {
  TempDir auth("qg-e2e-auth-dialects");
  const std::string fixtures = std::string(QG_SOURCE_DIR) + "/tests/fixtures/cliproxy/";
  const std::vector<std::string> types = {"claude", "codex", "gemini", "antigravity", "kimi", "xai"};
  for (const auto& type : types) {
    json file = read_json(fixtures + "auth-types/" + type + ".json");
    file["prefix"] = "p-" + type;
    auth.write(type + "-dialects.json", file.dump());
  }
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", auth.str(), "--management-key", "mgmt-dia-key",
                     "--api-key", "cpa-dia-key"});
  TempDir data("qg-e2e-cpa-dialects");
  const std::string yaml = "storage:\n  db_path: \"" + data.file("qg.db") + "\"\n" +
                           "cliproxy:\n  auth_dir: \"" + auth.str() + "\"\n  base_url: \"" + fake.base_url() +
                           "\"\n  api_key: \"cpa-dia-key\"\n  management_key: \"mgmt-dia-key\"\n" +
                           "accounts:\n  - {id: openai-key, provider: openai, base_url: \"http://127.0.0.1:9/v1\", "
                           "api_key: \"sk-dia-openai\", models: [\"gpt-5\"]}\n";
  DaemonProcess qg(DaemonOptions{}.config(yaml));
  std::string why;
  REQUIRE_MESSAGE(qg.start(&why), why);
  std::map<std::string, std::string> id_of;  // auth type -> account id
  const std::string listed = qg.get("/api/v1/accounts").body;
  INFO(listed);
  const json accounts = json::parse(listed)["accounts"];
  for (const auto& a : accounts)
    if (a["provider"] == "cliproxy") id_of[a["type"].get<std::string>()] = a["id"].get<std::string>();
  REQUIRE(id_of.size() == types.size());

  const Headers key = {{"Authorization", "Bearer unused"}};  // server.api_keys empty: open
  auto drain_all_but = [&](const std::string& keep) {  // the operator's drain/resume, one account left
    for (const auto& a : accounts) {
      const std::string id = a["id"];
      CHECK(qg.post("/api/v1/accounts/" + id + (id == keep ? "/resume" : "/drain"), "{}").status == 200);
    }
  };
  for (const auto& type : types) {
    CAPTURE(type);
    drain_all_but(id_of[type]);
    const std::string gemini_path = "/v1beta/models/gpt-5:";
    struct Call { std::string path, body; };
    const Call calls[] = {
        {"/v1/messages?beta=true", R"({"model":"gpt-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})"},
        {"/v1/messages", R"({"model":"gpt-5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]})"},
        {"/v1/responses", R"({"model":"gpt-5","input":"hi"})"},
        {"/v1/responses", R"({"model":"gpt-5","input":"hi","stream":true})"},
        {gemini_path + "generateContent", R"({"contents":[{"parts":[{"text":"hi"}]}]})"},
        {gemini_path + "streamGenerateContent?alt=sse", R"({"contents":[{"parts":[{"text":"hi"}]}]})"},
    };
    for (const auto& c : calls) {
      CAPTURE(c.path);
      auto r = qg.post(c.path, c.body, key);
      REQUIRE_MESSAGE(r.status == 200, r.body);
      CHECK(r.header("x-quotaguard-account") == id_of[type]);
      CHECK(r.header("x-quotaguard-model") == "p-" + type + "/gpt-5");         // pinned in the body or the URL
      CHECK(r.header("x-fake-cliproxy-auth") == type + "-dialects.json");     // relayed from CLIProxyAPI
      CHECK(r.body.find("hello") != std::string::npos);
    }
  }
  for (const auto& a : accounts) CHECK(qg.post("/api/v1/accounts/" + a["id"].get<std::string>() + "/resume", "{}").status == 200);
  // CLIProxyAPI keeps no responses: neither the {id} routes nor previous_response_id reach it.
  drain_all_but(id_of["codex"]);
  auto created = qg.post("/v1/responses", R"({"model":"gpt-5","input":"hi"})", key);
  REQUIRE(created.status == 200);
  const std::string rid = json::parse(created.body)["id"];
  auto got = qg.get("/v1/responses/" + rid, key);
  CHECK(got.status == 404);
  CHECK(json::parse(got.body)["error"]["code"] == "response_not_stored");
  auto next = qg.post("/v1/responses", R"({"model":"gpt-5","input":"more","previous_response_id":")" + rid + "\"}", key);
  CHECK(next.status == 400);
  CHECK(json::parse(next.body)["error"]["param"] == "previous_response_id");
  for (const auto& a : accounts) CHECK(qg.post("/api/v1/accounts/" + a["id"].get<std::string>() + "/resume", "{}").status == 200);

  // The route explains the dialect exclusions: the OpenAI key serves chat and responses only.
  for (const std::string dialect : {"messages", "gemini"}) {
    CAPTURE(dialect);
    const json j = json::parse(qg.get("/api/v1/route?model=gpt-5&dialect=" + dialect).body);
    CHECK(j["chosen"].is_string());
    CHECK(j["chosen"] != "openai-key");
    bool explained = false;
    for (const auto& e : j["excluded"])
      explained |= e["account"] == "openai-key" && e["reason"] == "not_serving_dialect" &&
                   e["detail"].get<std::string>().find("chat, responses") != std::string::npos;
    CHECK(explained);
    auto cli = run_quotaguard({"route", "--model", "gpt-5", "--dialect", dialect, "--url", qg.base_url(), "--config",
                               qg.config_path()},
                              RunOptions{{}, qg.dir().str(), "", std::chrono::seconds{30}});
    INFO(cli.err);
    CHECK(cli.exit_code == 0);
    CHECK(cli.out.find("openai-key  [gpt-5] not_serving_dialect") != std::string::npos);
  }
  const json chat = json::parse(qg.get("/api/v1/route?model=gpt-5&dialect=responses").body);
  for (const auto& e : chat["excluded"]) CHECK(e["reason"] != "not_serving_dialect");
  CHECK(run_quotaguard({"route", "--model", "gpt-5", "--dialect", "grpc", "--url", qg.base_url()}).exit_code == 2);
  CHECK(qg.stop() == 0);
  CHECK(qg.stderr_text().find("cpa-dia-key") == std::string::npos);
}
