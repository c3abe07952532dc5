// tests/cliproxy/auth_file_test.cpp — parse_auth_file over every sample type and edge cases.
#include "cliproxy/auth_file.hpp"
#include "cliproxy/time_parse.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;

namespace {
AuthFileInfo parse_sample(const std::string& name) {
  return parse_auth_file(name, read_file(fixture_dir() / "auth-types" / name));
}
DiscoveredAccount only(const AuthFileInfo& info) {
  REQUIRE(info.skip_reason == "");
  REQUIRE(info.accounts.size() == 1);
  return info.accounts[0];
}
}  // namespace

TEST_CASE("every sample auth type gives the expected id, type and email") {
  struct Expect { const char* file; const char* id; const char* type; const char* email; };
  const Expect cases[] = {
      {"antigravity.json", "antigravity-grace@example.com", "antigravity", "grace@example.com"},
      {"claude.json", "claude-dave@example.com", "claude", "dave@example.com"},
      // codex adds sha256(account_id)[:8] (team seats share an e-mail across workspaces)
      {"codex.json", "codex-alice@example.com-9605fdb5", "codex", "alice@example.com"},
      {"gemini.json", "gemini-alice@example.com-alice-gemini-proj-123456", "gemini", "alice@example.com"},
      {"iflow.json", "iflow-frank@example.com", "iflow", "frank@example.com"},
      {"kimi.json", "kimi-b95791af", "kimi", ""},  // no email: sha256(device_id)[:8]
      {"qwen.json", "qwen-eve-alias", "qwen", "eve-alias"},
      {"vertex.json", "vertex-heidi-vertex-proj", "vertex",
       "cliproxy@heidi-vertex-proj.iam.gserviceaccount.com"},
      {"xai.json", "xai-ivan@example.com", "xai", "ivan@example.com"},
  };
  for (const auto& c : cases) {
    std::string file = c.file;
    CAPTURE(file);
    auto a = only(parse_sample(c.file));
    CHECK(a.id == c.id);
    CHECK(a.spec.provider == "cliproxy");
    CHECK(a.spec.origin == "cliproxy");
    CHECK(a.spec.type == c.type);
    CHECK(a.spec.email == c.email);
    CHECK(a.spec.file == c.file);
    CHECK(a.spec.enabled);
    CHECK(a.spec.fingerprint.size() == 16);
    CHECK((a.spec.expires_at > 0) == (file != "vertex.json"));  // service accounts do not expire
  }
}

TEST_CASE("the id does not depend on the file name") {
  std::string bytes = read_file(fixture_dir() / "auth-types/claude.json");
  CHECK(only(parse_auth_file("claude-dave@example.com.json", bytes)).id ==
        only(parse_auth_file("1-renamed-first.json", bytes)).id);
}

TEST_CASE("expiry comes from any known key and format") {
  auto expiry = [](const std::string& body) {
    return only(parse_auth_file("x.json", R"({"type":"t","email":"e@x",)" + body + "}")).spec.expires_at;
  };
  const TimeMs t = 1775833200000;  // 2026-04-10T15:00:00Z
  CHECK(expiry(R"("expired":"2026-04-10T23:00:00+08:00")") == t);
  CHECK(expiry(R"("expire":"2026-04-10T15:00:00Z")") == t);
  CHECK(expiry(R"("expires_at":1775833200)") == t);
  CHECK(expiry(R"("expiresAt":1775833200000)") == t);
  CHECK(expiry(R"("expiry":"2026-04-10 15:00:00")") == t);
  CHECK(expiry(R"("expires":"2026-04-10 15:00")") == t);
  CHECK(expiry(R"("expires":"1775833200")") == t);
  CHECK(expiry(R"("token":{"expiry":"2026-04-10T23:00:00.123456789+08:00"})") == t + 123);
  CHECK(expiry(R"("timestamp":1775829600000,"expires_in":3600)") == t);
  CHECK(expiry(R"("expired":"not a time")") == 0);
  // the sample Gemini file: nested token.expiry with nanoseconds and a +08:00 offset
  CHECK(parse_sample("gemini.json").accounts[0].spec.expires_at == *parse_time_text("2026-04-10T07:04:05.123Z"));
}

TEST_CASE("operator fields: prefix, priority, disabled, excluded models, dash-case and string numbers") {
  auto a = only(parse_auth_file("x.json", R"({"type":"Codex ","email":"a@x","prefix":"/team-a/",
      "priority":"7","disabled":"true","excluded-models":["GPT-5*"," o3 ",""]})"));
  CHECK(a.spec.type == "codex");
  CHECK(a.spec.prefix == "team-a");
  CHECK(a.spec.priority == 7);
  CHECK_FALSE(a.spec.enabled);
  CHECK(a.spec.excluded_models == std::vector<std::string>{"gpt-5*", "o3"});

  auto b = only(parse_auth_file("x.json", R"({"type":"claude","email":"a@x","prefix":"a/b",
      "priority":12,"disabled":false,"excluded_models":["claude-opus*"]})"));
  CHECK(b.spec.prefix == "");  // a prefix containing '/' is ignored, like CLIProxyAPI
  CHECK(b.spec.priority == 12);
  CHECK(b.spec.enabled);
  CHECK(b.spec.excluded_models == std::vector<std::string>{"claude-opus*"});

  auto c = only(parse_auth_file("x.json", R"({"type":"claude","email":"a@x","priority":"high"})"));
  CHECK(c.spec.priority == 0);  // not a number: default
}

TEST_CASE("gemini project_id comma list gives one account per project") {
  auto info = parse_auth_file("gemini-bob-all.json",
      R"({"type":"gemini","email":"bob@example.com","project_id":"p-one, p-two,p-one,","token":{"access_token":"ya29.SECRETSECRET"}})");
  REQUIRE(info.accounts.size() == 2);
  CHECK(info.accounts[0].id == "gemini-bob@example.com-p-one");
  CHECK(info.accounts[1].id == "gemini-bob@example.com-p-two");
  CHECK(info.accounts[1].project == "p-two");
  CHECK(info.accounts[0].spec.fingerprint == info.accounts[1].spec.fingerprint);
  // no project yet (CLIProxyAPI fills it later): still an account
  CHECK(only(parse_auth_file("g.json", R"({"type":"gemini","email":"bob@example.com"})")).id == "gemini-bob@example.com");
}

TEST_CASE("unknown types are generic accounts - no identity falls back to the file stem") {
  auto a = only(parse_auth_file("whatever.json", R"({"type":"newvendor","email":"Zed@Example.com"})"));
  CHECK(a.id == "newvendor-zed@example.com");
  auto b = only(parse_auth_file("My Login.JSON", R"({"type":"newvendor"})"));
  CHECK(b.id == "newvendor-my-login");
  auto c = only(parse_auth_file("x.json", R"({"type":"xai","sub":"FAKE-XAI-SUB"})"));
  CHECK(c.id.rfind("xai-", 0) == 0);
  CHECK(c.id.size() == 12);
}

TEST_CASE("fingerprint follows the credential only") {
  auto fp = [](const std::string& body) { return only(parse_auth_file("x.json", body)).spec.fingerprint; };
  std::string base = R"({"type":"claude","email":"a@x","access_token":"tok-1111111","note":"one"})";
  std::string rotated = R"({"type":"claude","email":"a@x","access_token":"tok-2222222","note":"one"})";
  std::string noted = R"({"type":"claude","email":"a@x","access_token":"tok-1111111","note":"two"})";
  CHECK(fp(base) != fp(rotated));
  CHECK(fp(base) == fp(noted));
  CHECK(fp(base).find("tok-") == std::string::npos);
}

TEST_CASE("bad files are skipped with a reason") {
  struct Bad { const char* bytes; const char* reason_part; bool transient; };
  const Bad cases[] = {
      {"", "empty file", true},
      {"  \n", "empty file", true},
      {R"({"type":"codex","email":"a@x","access_tok)", "truncated", true},  // half-written
      {"not json at all", "not JSON", false},
      {"[1,2]", "not an object", false},
      {R"("codex")", "not an object", false},
      {R"({"email":"a@x"})", "missing \"type\"", false},
      {R"({"type":42})", "not a string", false},
      {R"({"type":"  "})", "empty \"type\"", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    auto info = parse_auth_file("bad.json", c.bytes);
    CHECK(info.skipped());
    CHECK(info.accounts.empty());
    CHECK(info.skip_reason.find(c.reason_part) != std::string::npos);
    CHECK(info.transient == c.transient);
  }
}

TEST_CASE("time parsing accepts the documented spellings and rejects junk") {
  CHECK(parse_time_text("1970-01-01T00:00:01Z") == 1000);
  CHECK(parse_time_text("2026-04-10T09:12:00.000000+00:00") == *parse_time_text("2026-04-10T09:12:00Z"));
  CHECK(parse_time_text("1775819520") == 1775819520000);
  CHECK(parse_time_text("1775819520123") == 1775819520123);
  CHECK_FALSE(parse_time_text("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_time_text("2026-04-10T09:12:00Zjunk"));
  CHECK_FALSE(parse_time_text(""));
  CHECK(format_time_utc(1775819520123) == "2026-04-10T11:12:00.123Z");
}
