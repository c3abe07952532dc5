// tests/cliproxy/fake_cliproxy_test.cpp — the OpenAI side of qg-fake-cliproxy behaves like
// CLIProxyAPI with force-model-prefix (other engineers' e2e tests rely on it).
#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/cliproxy/fake_process.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace qg::cliproxy::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
httplib::Result chat(httplib::Client& c, const std::string& model, bool stream = false) {
  json body = {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"stream", stream}};
  return c.Post("/v1/chat/completions", {{"Authorization", "Bearer ck"}}, body.dump(), "application/json");
}
}  // namespace

TEST_CASE("fake CLIProxyAPI: prefix/model pins the auth - unprefixed pool - cooling gives model_cooldown") {
  TempDir tmp;
  auto with_prefix = [&](const char* sample, const char* name, const char* prefix) {
    auto j = json::parse(read_file(fixture_dir() / "auth-types" / sample));
    if (*prefix) j["prefix"] = prefix;
    write_file(tmp.path() / name, j.dump());
  };
  with_prefix("codex.json", "codex-alice.json", "codex-alice");
  with_prefix("claude.json", "claude-dave.json", "claude-dave");
  with_prefix("qwen.json", "qwen-eve.json", "");
  ChildProcess fake({fake_cliproxy_path(), "--auth-dir", tmp.path().string(), "--api-key", "ck"});
  httplib::Client c("127.0.0.1", fake.port());

  for (int i = 0; i < 3; ++i) {
    auto r = chat(c, "claude-dave/claude-sonnet-4");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("x-fake-cliproxy-auth") == "claude-dave.json");
    auto body = json::parse(r->body);
    CHECK(body["model"] == "claude-sonnet-4");  // prefix stripped, as CLIProxyAPI does
    CHECK(body["usage"]["total_tokens"] == 18);
  }
  auto pooled = chat(c, "gpt-5.4");
  REQUIRE(pooled);
  CHECK(pooled->get_header_value("x-fake-cliproxy-auth") == "qwen-eve.json");  // only unprefixed auths
  CHECK(chat(c, "nobody/gpt-5.4")->status == 502);
  CHECK(c.Post("/v1/chat/completions", R"({"model":"gpt-5.4"})", "application/json")->status == 401);

  auto streamed = chat(c, "codex-alice/gpt-5.4", true);
  REQUIRE(streamed);
  CHECK(streamed->get_header_value("Content-Type").find("text/event-stream") != std::string::npos);
  CHECK(streamed->body.find("data: [DONE]") != std::string::npos);

  REQUIRE(c.Patch("/_fake/auth-file/codex-alice.json", R"({"unavailable":true})", "application/json"));
  auto cooling = chat(c, "codex-alice/gpt-5.4");
  CHECK(cooling->status == 429);
  CHECK(cooling->get_header_value("Retry-After") == "9720");
  CHECK(json::parse(cooling->body)["error"]["code"] == "model_cooldown");

  auto stats = json::parse(c.Get("/_fake/stats")->body);
  CHECK(stats["chat_claude-dave.json"] == 3);
  CHECK(stats["last_chat_model"] == "codex-alice/gpt-5.4");
  auto models = json::parse(c.Get("/v1/models", {{"Authorization", "Bearer ck"}})->body);
  CHECK(models["data"].size() == 3);
}
