// tests/http/proxy_routes_test.cpp — the proxy end to end: in-process routes, a real
// qg-fake-provider process upstream, a fixed account list as the backend.
#include "tests/http/proxy_harness.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::test;
using json = nlohmann::json;

namespace {

const std::string kChat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello proxy world!"}],"max_tokens":8})";
const std::string kStream = R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hello proxy world!"}],"max_tokens":8})";

ProxyOptions options(int first_byte_ms = 2000) {
  ProxyOptions o;
  o.api_keys = {"other-key", kClientKey};
  o.first_byte_timeout_ms = first_byte_ms;
  o.idle_timeout_ms = 2000;
  o.connect_timeout_ms = 1000;
  o.max_body_bytes = 4096;
  return o;
}

httplib::Headers auth() { return {{"Authorization", "Bearer " + kClientKey}}; }

httplib::Result post(int port, const std::string& path, const std::string& body, httplib::Headers h = auth()) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10, 0);
  return c.Post(path.c_str(), h, body, "application/json");
}

json served_for(ProxyHarness& h, const std::string& account) {
  auto all = json::parse(h.served_json());
  return all["keys"].value(upstream_key(account), json::object());
}

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    auto end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

}  // namespace

TEST_CASE("plain chat: relayed, headers set, real usage committed equals what the upstream served") {
  ProxyHarness h({}, {fake_account("a", "")}, options());
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("x-quotaguard-account") == "a");
  CHECK(r->get_header_value("x-quotaguard-model") == "gpt-4o-mini");
  auto body = json::parse(r->body);
  CHECK(body["choices"][0]["message"]["content"] == "tok tok tok tok tok tok tok tok ");
  auto commits = h.backend().commits_copy();
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].reservation == r->get_header_value("x-quotaguard-reservation"));
  CHECK_FALSE(commits[0].estimated);
  auto served = served_for(h, "a");
  CHECK(commits[0].usage.requests == 1);
  CHECK(commits[0].usage.input_tokens == served["prompt_tokens"].get<std::int64_t>());
  CHECK(commits[0].usage.output_tokens == served["completion_tokens"].get<std::int64_t>());
  CHECK(commits[0].usage.output_tokens == 8);
  // The router was asked with the estimate: 1 request, prompt bytes / 4, max_tokens.
  CHECK(h.backend().asks[0].estimate == Usage{1, 5, 8});
  CHECK(h.backend().asks[0].client_key.starts_with("k-"));
  auto outcomes = h.backend().outcomes_copy();
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].outcome.kind == OutcomeKind::success);
  CHECK(h.backend().settled_together_count() == 1);  // commit and outcome in one hand-over
  CHECK(h.backend().open_reservations() == 0);
}

TEST_CASE("passive observation: x-ratelimit headers of the fake reach the backend as windows") {
  ProxyHarness h({"--requests-per-window", "100", "--tokens-per-window", "5000"}, {fake_account("a", "")}, options());
  REQUIRE(post(h.port(), "/v1/chat/completions", kChat)->status == 200);
  auto outcomes = h.backend().outcomes_copy();
  REQUIRE(outcomes.size() == 1);
  const auto& windows = outcomes[0].outcome.signals.windows;
  REQUIRE(windows.size() == 2);
  CHECK(windows[0].metric == Metric::requests);
  CHECK(windows[0].limit == 100);
  CHECK(windows[0].used == 1);
  CHECK(windows[0].reset_at > 0);
  CHECK(windows[1].metric == Metric::tokens);
  CHECK(windows[1].limit == 5000);
}

TEST_CASE("streamed chat: chunks relayed, injected usage chunk hidden, usage committed") {
  ProxyHarness h({"--chunks", "4"}, {fake_account("a", "")}, options());
  auto r = post(h.port(), "/v1/chat/completions", kStream);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/event-stream");
  CHECK(r->get_header_value("x-quotaguard-account") == "a");
  auto events = sse_data(r->body);
  REQUIRE(events.size() == 5);  // 4 content chunks + [DONE], no usage chunk
  CHECK(events.back() == "[DONE]");
  for (std::size_t i = 0; i + 1 < events.size(); ++i) CHECK(json::parse(events[i])["choices"].size() == 1);
  REQUIRE(wait_until([&] { return h.backend().commits_copy().size() == 1; }));
  auto c = h.backend().commits_copy()[0];
  CHECK_FALSE(c.estimated);
  auto served = served_for(h, "a");
  CHECK(served["streams"] == 1);
  CHECK(c.usage.input_tokens == served["prompt_tokens"].get<std::int64_t>());
  CHECK(c.usage.output_tokens == served["completion_tokens"].get<std::int64_t>());
  // The stream's commit and its outcome reach the account as one hand-over, as a plain answer's.
  REQUIRE(wait_until([&] { return h.backend().outcomes_copy().size() == 1; }));
  auto outcomes = h.backend().outcomes_copy();
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].outcome.kind == OutcomeKind::success);
  CHECK(h.backend().settled_together_count() == 1);
}

TEST_CASE("streamed chat: a client that asked for usage gets the usage chunk") {
  ProxyHarness h({}, {fake_account("a", "")}, options());
  std::string body = R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  auto r = post(h.port(), "/v1/chat/completions", body);
  REQUIRE(r);
  auto events = sse_data(r->body);
  REQUIRE(events.size() >= 2);
  CHECK(json::parse(events[events.size() - 2])["usage"]["completion_tokens"] == 16);
}

TEST_CASE("completions and embeddings are proxied with usage") {
  ProxyHarness h({}, {fake_account("a", "")}, options());
  auto c = post(h.port(), "/v1/completions", R"({"model":"gpt-4o-mini","prompt":"12345678","max_tokens":3})");
  REQUIRE(c);
  CHECK(c->status == 200);
  auto e = post(h.port(), "/v1/embeddings", R"({"model":"text-embedding-3-small","input":"abcdefgh"})");
  REQUIRE(e);
  CHECK(e->status == 200);
  auto commits = h.backend().commits_copy();
  REQUIRE(commits.size() == 2);
  CHECK(commits[0].usage == Usage{1, 2, 3});
  CHECK(commits[1].usage == Usage{1, 2, 0});
  CHECK(h.backend().asks[1].estimate.output_tokens == 0);  // embeddings reserve no output
}

TEST_CASE("fallback model: the upstream gets the granted model, the header says so") {
  auto acct = fake_account("a", "");
  acct.model_upstream = "acct-a/gpt-4o-mini";
  ProxyHarness h({}, {acct}, options());
  auto r = post(h.port(), "/v1/chat/completions", R"({"model":"gpt-4o","messages":[]})");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("x-quotaguard-model") == "acct-a/gpt-4o-mini");
  CHECK(json::parse(r->body)["model"] == "acct-a/gpt-4o-mini");  // the fake echoes what it got
}

TEST_CASE("failover on 429, 500 and connect error before any byte reached the client") {
  ProxyHarness h({"--fault", upstream_key("limited") + "=429", "--fault", upstream_key("broken") + "=500"},
                 {fake_account("limited", ""), fake_account("broken", ""),
                  fake_account("nowhere", "http://127.0.0.1:1/v1"), fake_account("good", "")},
                 [] { auto o = options(); o.max_attempts = 4; return o; }());
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("x-quotaguard-account") == "good");
  auto releases = h.backend().releases_copy();
  REQUIRE(releases.size() == 3);
  CHECK(releases[0].reason == "upstream_rate_limited");
  CHECK(releases[1].reason == "upstream_server_error");
  CHECK(releases[2].reason == "upstream_connect_error");
  auto outcomes = h.backend().outcomes_copy();
  REQUIRE(outcomes.size() == 4);
  CHECK(outcomes[0].outcome.http_status == 429);
  CHECK(outcomes[0].outcome.signals.cooldown_until > 0);  // Retry-After 7 from the fake
  CHECK(h.backend().asks[3].exclude == std::vector<std::string>{"limited", "broken", "nowhere"});
  CHECK(h.backend().commits_copy().size() == 1);
  CHECK(served_for(h, "good")["requests"] == 1);
}

TEST_CASE("failover on a hanging upstream (first-byte timeout), plain and streamed") {
  ProxyHarness h({"--fault", upstream_key("hang") + "=hang", "--hang-ms", "1500"},
                 {fake_account("hang", ""), fake_account("good", "")}, options(300));
  for (const auto& body : {kChat, kStream}) {
    auto r = post(h.port(), "/v1/chat/completions", body);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("x-quotaguard-account") == "good");
  }
  auto outcomes = h.backend().outcomes_copy();
  int timeouts = 0;
  for (const auto& o : outcomes) timeouts += o.outcome.kind == OutcomeKind::timeout;
  CHECK(timeouts == 2);
}

TEST_CASE("failover on a connection reset after the headers") {
  ProxyHarness h({"--fault", upstream_key("reset") + "=reset"}, {fake_account("reset", ""), fake_account("good", "")},
                 options());
  for (const auto& body : {kChat, kStream}) {
    auto r = post(h.port(), "/v1/chat/completions", body);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("x-quotaguard-account") == "good");
  }
  CHECK(h.backend().releases_copy().size() == 2);
}

TEST_CASE("all accounts rate limited: 429 quota_exhausted with Retry-After") {
  ProxyHarness h({"--fault", upstream_key("a") + "=429", "--fault", upstream_key("b") + "=429", "--retry-after", "9"},
                 {fake_account("a", ""), fake_account("b", "")}, options());
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 429);
  auto body = json::parse(r->body);
  CHECK(body["error"]["code"] == "quota_exhausted");
  CHECK(body["error"]["type"] == "rate_limit_error");
  int retry = std::stoi(r->get_header_value("Retry-After"));
  CHECK(retry >= 8);
  CHECK(retry <= 9);
  CHECK(h.backend().open_reservations() == 0);
}

TEST_CASE("the router's own refusal is passed on with its Retry-After") {
  ProxyHarness h({}, {fake_account("a", "", {"other-model"})}, options());
  h.backend().refusal_retry_after_s = 42;
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "42");
  CHECK(json::parse(r->body)["error"]["code"] == "quota_exhausted");
}

TEST_CASE("all accounts failing: 502, and 504 when the last one timed out") {
  ProxyHarness h({"--fault", upstream_key("a") + "=500", "--fault", upstream_key("b") + "=hang", "--hang-ms", "1000"},
                 {fake_account("a", "")}, options(200));
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 502);
  CHECK(json::parse(r->body)["error"]["code"] == "upstream_error");
}

TEST_CASE("timeout of the only account gives 504") {
  ProxyHarness h({"--fault", upstream_key("b") + "=hang", "--hang-ms", "1000"}, {fake_account("b", "")}, options(200));
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(json::parse(r->body)["error"]["code"] == "upstream_timeout");
}

TEST_CASE("client errors of the upstream are passed through without failover") {
  ProxyHarness h({"--fault", upstream_key("a") + "=bogus"}, {fake_account("a", ""), fake_account("b", "")}, options());
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 400);  // the fake's answer to an unknown fault, relayed
  CHECK(h.backend().asks.size() == 1);
  CHECK(h.backend().releases_copy().size() == 1);
}

TEST_CASE("upstream cut mid-stream: the stream ends with an SSE error event, usage estimated") {
  ProxyHarness h({"--fault", upstream_key("a") + "=cut", "--chunks", "6"}, {fake_account("a", ""), fake_account("b", "")},
                 options());
  auto r = post(h.port(), "/v1/chat/completions", kStream);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("x-quotaguard-account") == "a");  // no failover once bytes were sent
  auto events = sse_data(r->body);
  REQUIRE(events.size() == 3);
  CHECK(json::parse(events.back())["error"]["code"] == "upstream_error");
  REQUIRE(wait_until([&] { return h.backend().commits_copy().size() == 1; }));
  auto c = h.backend().commits_copy()[0];
  CHECK(c.estimated);
  // 8 tokens of "tok " = 32 bytes in 6 chunks of 5 bytes; two relayed = 10 bytes -> 3 tokens.
  CHECK(c.usage.output_tokens == (10 + 3) / 4);
}

TEST_CASE("client disconnect mid-stream: upstream cancelled, estimate committed") {
  ProxyHarness h({"--chunks", "50", "--chunk-delay-ms", "50"}, {fake_account("a", "")}, options());
  httplib::Client c("127.0.0.1", h.port());
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.headers = auth();
  req.headers.emplace("Content-Type", "application/json");
  req.body = kStream;
  int pieces = 0;
  req.content_receiver = [&](const char*, std::size_t, std::uint64_t, std::uint64_t) { return ++pieces < 2; };
  httplib::Response res;
  httplib::Error err;
  c.send(req, res, err);
  CHECK(err == httplib::Error::Canceled);
  REQUIRE(wait_until([&] { return h.backend().commits_copy().size() == 1; }));
  auto commit = h.backend().commits_copy()[0];
  CHECK(commit.estimated);
  CHECK(commit.usage.requests == 1);
  auto outcomes = h.backend().outcomes_copy();
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].outcome.kind == OutcomeKind::cancelled);
  CHECK(h.backend().settled_together_count() == 1);
  // The fake saw its stream abandoned long before its 50 chunks (2.5 s) were written.
  REQUIRE(wait_until([&] { return served_for(h, "a").value("cancelled", 0) == 1; }, 2000));
  CHECK(served_for(h, "a").value("requests", 0) == 0);
}

TEST_CASE("client auth, body limit and malformed JSON give OpenAI-shaped errors") {
  ProxyHarness h({}, {fake_account("a", "")}, options());
  auto none = post(h.port(), "/v1/chat/completions", kChat, {});
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(json::parse(none->body)["error"]["code"] == "invalid_api_key");
  auto wrong = post(h.port(), "/v1/chat/completions", kChat, {{"Authorization", "Bearer " + kClientKey + "x"}});
  CHECK(wrong->status == 401);
  auto big = post(h.port(), "/v1/chat/completions", std::string(5000, ' ') + kChat);
  CHECK(big->status == 413);
  CHECK(json::parse(big->body)["error"]["code"] == "request_too_large");
  auto bad = post(h.port(), "/v1/chat/completions", "{\"model\": ");
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["error"]["type"] == "invalid_request_error");
  auto no_model = post(h.port(), "/v1/chat/completions", R"({"messages":[]})");
  CHECK(json::parse(no_model->body)["error"]["param"] == "model");
  CHECK(h.backend().asks.empty());  // nothing reached the router
}

TEST_CASE("GET /v1/models lists the union of the accounts' models") {
  ProxyHarness h({}, {fake_account("a", "", {"m2", "m1"}), fake_account("b", "", {"m1", "m3"})}, options());
  httplib::Client c("127.0.0.1", h.port());
  auto r = c.Get("/v1/models", auth());
  REQUIRE(r);
  auto body = json::parse(r->body);
  CHECK(body["object"] == "list");
  REQUIRE(body["data"].size() == 3);
  CHECK(body["data"][0]["id"] == "m1");
  CHECK(body["data"][2]["id"] == "m3");
  CHECK(c.Get("/v1/models")->status == 401);
}

TEST_CASE("a 200 with a malformed JSON body fails over - alone it is a 502") {
  ProxyHarness h({"--fault", upstream_key("a") + "=malformed"}, {fake_account("a", ""), fake_account("b", "")},
                 options());
  for (const auto& body : {kChat, kStream}) {
    auto r = post(h.port(), "/v1/chat/completions", body);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("x-quotaguard-account") == "b");
    CHECK(r->body.find("broken") == std::string::npos);
  }
  auto releases = h.backend().releases_copy();
  REQUIRE(releases.size() == 2);
  CHECK(releases[0].account == "a");
  CHECK(releases[1].reason == "upstream_server_error");
  CHECK_FALSE(h.backend().commits_copy()[0].estimated);
}

TEST_CASE("only a malformed upstream: 502") {
  ProxyHarness h({"--fault", upstream_key("a") + "=malformed"}, {fake_account("a", "")}, options());
  auto r = post(h.port(), "/v1/chat/completions", kChat);
  REQUIRE(r);
  CHECK(r->status == 502);
  CHECK(h.backend().commits_copy().empty());
}

TEST_CASE("concurrent streams and plain calls resolve every reservation exactly once") {
  ProxyHarness h({"--chunks", "3"}, {fake_account("a", ""), fake_account("b", "")}, options());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = post(h.port(), "/v1/chat/completions", (t + i) % 2 ? kStream : kChat);
        if (r && r->status == 200) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 80);
  REQUIRE(wait_until([&] { return h.backend().commits_copy().size() == 80; }));
  CHECK(h.backend().open_reservations() == 0);
  auto served = json::parse(h.served_json())["total"];
  std::int64_t in = 0, out = 0;
  for (const auto& c : h.backend().commits_copy()) {
    in += c.usage.input_tokens;
    out += c.usage.output_tokens;
  }
  CHECK(served["requests"] == 80);
  CHECK(served["prompt_tokens"].get<std::int64_t>() == in);
  CHECK(served["completion_tokens"].get<std::int64_t>() == out);
}
