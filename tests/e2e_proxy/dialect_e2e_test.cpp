// End-to-end per dialect (Anthropic Messages, OpenAI Responses, Gemini): the real daemon in
// front of qg-fake-provider. Plain and streamed bodies are byte-identical to what the provider
// answers directly; the log commits what the provider served; small limits switch accounts;
// all spent gives the dialect's 429; a provider 500 fails over; a stream cut before its final
// usage commits the estimate (estimated: true); the client's key never reaches the provider.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"
#include "tests/support/http_call.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

using namespace qg::test;
using nlohmann::json;

namespace {

const std::string kClientKey = "qg-dialect-client-key-0123456789";

struct DialectCase {
  const char* name;        // chat | messages | responses | gemini
  const char* provider;    // account provider in config
  const char* base_path;   // account base_url path
};

const DialectCase kCases[] = {
    {"messages", "anthropic", "/v1"},
    {"responses", "openai", "/v1"},
    {"gemini", "gemini", "/v1beta"},
};

std::string body_for(const DialectCase& c, bool stream, const std::string& text = "hello there") {
  const std::string d = c.name;
  if (d == "messages")
    return R"({"model":"m1","max_tokens":40,"messages":[{"role":"user","content":")" + text + R"("}])" +
           (stream ? R"(,"stream":true})" : "}");
  if (d == "responses")
    return R"({"model":"m1","max_output_tokens":40,"input":")" + text + R"(")" + (stream ? R"(,"stream":true})" : "}");
  return R"({"contents":[{"role":"user","parts":[{"text":")" + text + R"("}]}],"generationConfig":{"maxOutputTokens":40}})";
}

std::string path_for(const DialectCase& c, bool stream) {
  const std::string d = c.name;
  if (d == "messages") return "/v1/messages?beta=true";
  if (d == "responses") return "/v1/responses";
  return stream ? "/v1beta/models/m1:streamGenerateContent?alt=sse" : "/v1beta/models/m1:generateContent";
}

// The client's credential the way that dialect's SDKs send it.
Headers client_headers(const DialectCase& c) {
  const std::string d = c.name;
  if (d == "messages") return {{"x-api-key", kClientKey}, {"anthropic-version", "2023-06-01"}, {"anthropic-beta", "fake-beta-1"}};
  if (d == "gemini") return {{"x-goog-api-key", kClientKey}};
  return {{"Authorization", "Bearer " + kClientKey}};
}

// The account's credential, for a direct call to the fake.
Headers account_headers(const DialectCase& c, const std::string& key) {
  const std::string d = c.name;
  if (d == "messages") return {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}};
  if (d == "gemini") return {{"x-goog-api-key", key}};
  return {{"Authorization", "Bearer " + key}};
}

struct Daemon {
  E2eDaemon qg;
  void start(const DialectCase& c, int fake_port, const std::vector<std::pair<std::string, int>>& keys_limits) {
    std::vector<E2eAccount> accounts;
    int i = 0;
    for (const auto& [key, limit] : keys_limits)
      accounts.push_back({"acct-" + std::to_string(++i), fake_port, key, limit, c.provider, c.base_path, "[\"m1\"]"});
    qg.start(accounts, "server:\n  api_keys: [\"" + kClientKey + "\"]\nrouter:\n  policy: fill_first\nlog:\n  level: debug\n");
  }
  HttpReply call(const DialectCase& c, bool stream, const std::string& text = "hello there") {
    return http_request("POST", "127.0.0.1", qg.daemon->port(), path_for(c, stream), body_for(c, stream, text),
                        "application/json", client_headers(c));
  }
};

struct Totals {
  std::int64_t requests = 0, input = 0, output = 0, estimated = 0;
  std::vector<std::string> dialects;
};

Totals committed(const std::vector<json>& events) {
  Totals t;
  for (const auto& e : events) {
    if (e["type"] == "ReservationCreated") t.dialects.push_back(e["data"].value("dialect", ""));
    if (e["type"] != "ReservationCommitted") continue;
    t.requests += e["data"]["usage"]["requests"].get<std::int64_t>();
    t.input += e["data"]["usage"]["input_tokens"].get<std::int64_t>();
    t.output += e["data"]["usage"]["output_tokens"].get<std::int64_t>();
    t.estimated += e["data"].value("estimated", false) ? 1 : 0;
  }
  return t;
}

}  // namespace

TEST_CASE("each dialect: bodies byte-identical to the provider's, usage committed as served, keys kept apart") {
  for (const auto& c : kCases) {
    const std::string dialect_name = c.name;
    CAPTURE(dialect_name);
    FakeProviderProcess fake({"--models", "m1", "--chunks", "3"});
    Daemon d;
    d.start(c, fake.port(), {{"sk-dia-account-one", 0}});
    std::string proxied[2];
    for (int stream = 0; stream < 2; ++stream) {
      // Gemini's streamed call authenticates with ?key= (as @google/genai may): never forwarded.
      auto r = std::string(c.name) == "gemini" && stream == 1
                   ? http_request("POST", "127.0.0.1", d.qg.daemon->port(), path_for(c, true) + "&key=" + kClientKey,
                                  body_for(c, true))
                   : d.call(c, stream == 1);
      REQUIRE(r.status == 200);
      CHECK(r.header("x-quotaguard-account") == "acct-1");
      CHECK(r.header("x-quotaguard-model") == "m1");
      proxied[stream] = r.body;
      // The provider's request id reaches the client as the provider sent it; x-request-id
      // stays QuotaGuard's (the provider's own is kept beside it).
      if (std::string(c.name) == "messages") CHECK(r.header("request-id").rfind("req_fake_", 0) == 0);
      if (std::string(c.name) == "responses") {
        CHECK(r.header("x-quotaguard-upstream-request-id").rfind("req_fake_", 0) == 0);
        CHECK(r.header("x-request-id").rfind("req_fake_", 0) == std::string::npos);
      }
      CHECK(r.header("set-cookie").empty());
      if (std::string(c.name) == "messages") {
        json last = json::parse(http_get("127.0.0.1", fake.port(), "/_last").body);
        CHECK(last["path"] == "/v1/messages?beta=true");
        CHECK(last["anthropic-version"] == "2023-06-01");
        CHECK(last["anthropic-beta"] == "fake-beta-1");
      }
    }
    // count_tokens is forwarded and reserves nothing.
    const std::string count_path = std::string(c.name) == "messages" ? "/v1/messages/count_tokens"
                                   : std::string(c.name) == "gemini" ? "/v1beta/models/m1:countTokens" : "";
    if (!count_path.empty()) {
      auto r = http_request("POST", "127.0.0.1", d.qg.daemon->port(), count_path,
                            std::string(c.name) == "gemini" ? body_for(c, false) : R"({"model":"m1","messages":[{"role":"user","content":"hello there"}]})",
                            "application/json", client_headers(c));
      CHECK(r.status == 200);
      CHECK(r.body.find("okens\":3") != std::string::npos);
    }
    const json served_now = served(fake.port());
    const Totals t = committed(d.qg.events());
    CHECK(t.requests == 2);
    CHECK(t.requests == served_now["total"]["requests"].get<std::int64_t>());
    CHECK(t.input == served_now["total"]["prompt_tokens"].get<std::int64_t>());
    CHECK(t.output == served_now["total"]["completion_tokens"].get<std::int64_t>());
    CHECK(t.estimated == 0);
    CHECK(t.dialects == std::vector<std::string>{c.name, c.name});
    for (const auto& seen : served_now["credentials_seen"]) CHECK(seen.get<std::string>().find(kClientKey) == std::string::npos);
    // The provider's own answer to the same requests, byte for byte.
    for (int stream = 0; stream < 2; ++stream) {
      auto direct = http_request("POST", "127.0.0.1", fake.port(), path_for(c, stream == 1), body_for(c, stream == 1),
                                 "application/json", account_headers(c, "sk-dia-account-one"));
      REQUIRE(direct.status == 200);
      CHECK(proxied[stream] == direct.body);
    }
    // The dialect's own error shape for a wrong client key.
    auto bad = http_request("POST", "127.0.0.1", d.qg.daemon->port(), path_for(c, false), body_for(c, false),
                            "application/json", account_headers(c, "wrong-key"));
    CHECK(bad.status == 401);
    CHECK(d.qg.daemon->stop() == 0);
    CHECK(d.qg.verify() == 0);
    CHECK(d.qg.daemon->stderr_text().find(kClientKey) == std::string::npos);
    CHECK(d.qg.daemon->stderr_text().find("sk-dia-account") == std::string::npos);
  }
}

TEST_CASE("each dialect: small limits switch accounts, all spent is the dialect 429") {
  for (const auto& c : kCases) {
    const std::string dialect_name = c.name;
    CAPTURE(dialect_name);
    FakeProviderProcess fake({"--models", "m1", "--chunks", "2", "--key-quota", "sk-lim-one=2:0", "--key-quota", "sk-lim-two=2:0"});
    Daemon d;
    d.start(c, fake.port(), {{"sk-lim-one", 2}, {"sk-lim-two", 2}});
    std::vector<std::string> used;
    std::map<std::string, std::vector<std::string>> remaining;  // account -> provider's remaining, in order
    for (int i = 0; i < 4; ++i) {
      auto r = d.call(c, i % 2 == 1);
      REQUIRE(r.status == 200);
      used.push_back(r.header("x-quotaguard-account"));
      // The serving account's rate-limit headers, relayed as the provider sent them.
      const std::string d_name = c.name;
      if (d_name == "messages") remaining[used.back()].push_back(r.header("anthropic-ratelimit-requests-remaining"));
      if (d_name == "responses") remaining[used.back()].push_back(r.header("x-ratelimit-remaining-requests"));
    }
    for (const auto& [account, seen] : remaining)  // Gemini sends no rate-limit headers on success
      CHECK(seen == std::vector<std::string>{"1", "0"});
    // Each account serves exactly its limit (the thresholds decide the order), then nothing is left.
    CHECK(std::count(used.begin(), used.end(), "acct-1") == 2);
    CHECK(std::count(used.begin(), used.end(), "acct-2") == 2);
    auto r = d.call(c, false);
    CHECK(r.status == 429);
    CHECK_FALSE(r.header("Retry-After").empty());
    json e = json::parse(r.body);
    const std::string d_name = c.name;
    if (d_name == "messages") CHECK(e["error"]["type"] == "rate_limit_error");
    if (d_name == "responses") CHECK(e["error"]["type"] == "rate_limit_error");
    if (d_name == "gemini") CHECK(e["error"]["status"] == "RESOURCE_EXHAUSTED");
    CHECK(served(fake.port())["total"]["requests"] == 4);
  }
}

TEST_CASE("each dialect: a provider 500 before the first byte fails over, a cut stream commits the estimate") {
  for (const auto& c : kCases) {
    const std::string dialect_name = c.name;
    CAPTURE(dialect_name);
    FakeProviderProcess fake({"--models", "m1", "--chunks", "3", "--fault", "sk-fo-broken=500", "--fault", "sk-fo-cut=cut",
                              "--fault", "sk-fo-overloaded=529"});
    // 500, and for Anthropic also its 529 overloaded_error, before the first byte: the next account.
    for (const char* broken : {"sk-fo-broken", "sk-fo-overloaded"}) {
      if (std::string(broken) == "sk-fo-overloaded" && std::string(c.name) != "messages") continue;
      CAPTURE(broken);
      Daemon d;
      d.start(c, fake.port(), {{broken, 0}, {"sk-fo-good", 0}});
      for (int stream = 0; stream < 2; ++stream) {
        auto r = d.call(c, stream == 1);
        CHECK(r.status == 200);
        CHECK(r.header("x-quotaguard-account") == "acct-2");
      }
    }
    Daemon d;
    d.start(c, fake.port(), {{"sk-fo-cut", 0}});
    auto r = d.call(c, true);
    CHECK(r.status == 200);
    // The dialect's error event ends what the client got.
    const std::string tail = r.body.substr(r.body.rfind("data: ") == std::string::npos ? 0 : r.body.rfind("data: "));
    if (std::string(c.name) == "gemini") CHECK(tail.find(R"({"error":{"code":502)") != std::string::npos);
    else CHECK(r.body.find("event: error\ndata: {\"type\":\"error\"") != std::string::npos);
    const Totals t = committed(d.qg.events());
    CHECK(t.requests == 1);
    CHECK(t.estimated == 1);
    CHECK(t.output > 0);
  }
}

TEST_CASE("responses: the account of a response is remembered across restarts, previous_response_id and id routes go there") {
  const DialectCase& c = kCases[1];
  FakeProviderProcess fake({"--models", "m1"});
  Daemon d;
  d.start(c, fake.port(), {{"sk-aff-one", 0}, {"sk-aff-two", 0}});
  auto first = d.call(c, false, "first turn");
  REQUIRE(first.status == 200);
  const std::string id = json::parse(first.body)["id"];
  const std::string owner = first.header("x-quotaguard-account");
  auto get = d.qg.daemon->get("/v1/responses/" + id, client_headers(c));
  CHECK(get.status == 200);
  CHECK(get.header("x-quotaguard-account") == owner);
  CHECK(d.qg.daemon->get("/v1/responses/resp_unknown", client_headers(c)).status == 404);
  CHECK(d.qg.daemon->get("/v1/responses/" + id + "/input_items", client_headers(c)).status == 200);

  CHECK(d.qg.daemon->stop() == 0);
  d.start(c, fake.port(), {{"sk-aff-one", 0}, {"sk-aff-two", 0}});
  for (int i = 0; i < 3; ++i) {
    const std::string body = R"({"model":"m1","input":"next )" + std::to_string(i) + R"(","previous_response_id":")" + id + R"("})";
    auto next = http_request("POST", "127.0.0.1", d.qg.daemon->port(), "/v1/responses", body, "application/json", client_headers(c));
    CHECK(next.status == 200);
    CHECK(next.header("x-quotaguard-account") == owner);
  }
  auto del = http_request("DELETE", "127.0.0.1", d.qg.daemon->port(), "/v1/responses/" + id, "", "application/json", client_headers(c));
  CHECK(del.status == 200);
  CHECK(d.qg.daemon->get("/v1/responses/" + id, client_headers(c)).status == 404);  // forgotten
}

TEST_CASE("route explains dialect exclusions") {
  FakeProviderProcess fake({"--models", "m1"});
  E2eDaemon qg;
  qg.start({{"claude-acct", fake.port(), "sk-x-1", 0, "anthropic", "/v1", "[\"m1\"]"},
            {"gemini-acct", fake.port(), "sk-x-2", 0, "gemini", "/v1beta", "[\"m1\"]"}});
  auto r = qg.daemon->get("/api/v1/route?model=m1&dialect=gemini");
  REQUIRE(r.status == 200);
  json j = json::parse(r.body);
  CHECK(j["chosen"] == "gemini-acct");
  bool explained = false;
  for (const auto& e : j["excluded"])
    explained |= e["account"] == "claude-acct" && e["reason"] == "not_serving_dialect";
  CHECK(explained);
  CHECK(qg.daemon->get("/api/v1/route?model=m1&dialect=grpc").status == 400);
}
