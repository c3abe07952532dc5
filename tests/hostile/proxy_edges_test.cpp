// Edges of the proxied request path a hostile client (or a careless upstream) can reach: the
// real binary in front of a scripted upstream that records every request it is sent.
//   - a chunked request body whose chunk data runs past its size (httplib 0.11's chunked
//     reader takes it as the end of the body): what follows must never run as a next request;
//   - an upstream error quoting the account's key on the /v1/responses/{id} routes;
//   - the Gemini URL model: spliced into the upstream request line, so it must never reshape it.
#include "tests/hostile/hostile_net.hpp"
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace qg::test;
using json = nlohmann::json;

namespace {

const std::string kAdmin = "adm-edges-5b1d";
const std::string kKey = "ck-edges-client";
const std::string kOpenAiKey = "sk-edges-openai-secret-91";
const std::string kGeminiKey = "gk-edges-gemini-secret-37";

const std::string kCompletion =
    R"({"id":"resp_edges1","object":"response","choices":[{"message":{"content":"hi"}}],)"
    R"("usage":{"prompt_tokens":3,"completion_tokens":4,"input_tokens":3,"output_tokens":4}})";

// The request line of a request the upstream received.
std::string request_line(const std::string& request) { return request.substr(0, request.find("\r\n")); }

// The value of `name` in a request the upstream received ("" if absent; name as sent).
std::string header_of(const std::string& request, const std::string& name) {
  const auto at = request.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 4;
  return request.substr(start, request.find("\r\n", start) - start);
}

std::string model_of(const std::string& request) {
  const json body = json::parse(request.substr(request.find("\r\n\r\n") + 4), nullptr, false);
  return body.is_object() ? body.value("model", "") : "";
}

struct Fixture {
  std::mutex m;
  std::vector<std::string> requests;  // every request the upstream received, in order
  ScriptedUpstream upstream{[this](const std::string& r, const ScriptedUpstream::Conn& c) {
    {
      std::lock_guard lock(m);
      requests.push_back(r);
    }
    const std::string line = request_line(r);
    // The response routes answer like a provider that quotes the key it was sent.
    if (line.find("/responses/") != std::string::npos) {
      const std::string key = header_of(r, "Authorization");
      return c.write(http_response(401, "application/json",
                                   R"({"error":{"message":"Incorrect API key provided: )" + key + R"("}})"));
    }
    // Chosen by the model asked: heads no provider should send.
    const std::string model = model_of(r);
    if (model == "name-with-ctl")  // a framing header's name with a control character after it
      return c.write(http_response(200, "application/json", kCompletion,
                                   std::string("Content-Length\x0c: 5\r\nTransfer-Encoding\x0b: chunked\r\n")));
    if (model == "value-with-ctl")
      return c.write(http_response(200, "application/json", kCompletion, std::string("x-trace: a\x01b\x7f\r\n")));
    if (model == "echo-credentials")  // a provider (or a gateway) echoing the request's credentials
      return c.write(http_response(200, "application/json", kCompletion,
                                   "X-Api-Key: " + kOpenAiKey + "\r\nAuthorization: " + header_of(r, "Authorization") +
                                       "\r\nx-goog-api-key: " + kGeminiKey + "\r\nx-provider-note: kept\r\n"));
    return c.write(http_response(200, "application/json", kCompletion));
  }};
  DaemonProcess d;
  Fixture()
      : d(DaemonOptions().config(
            "storage: {db_path: \"./qg.db\"}\n"
            "server: {admin_token: \"" + kAdmin + "\", api_keys: [\"" + kKey + "\"]}\n"
            "proxy: {max_attempts: 1}\n"
            "accounts:\n"
            "  - {id: o1, provider: openai, base_url: \"" + upstream.base_url() + "\", api_key: \"" + kOpenAiKey + "\"}\n"
            "  - {id: g1, provider: gemini, base_url: \"http://127.0.0.1:" + std::to_string(upstream.port()) +
            "/v1beta\", api_key: \"" + kGeminiKey + "\"}\n")) {
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  }
  std::vector<std::string> received() {
    std::lock_guard lock(m);
    return requests;
  }
  std::size_t open_reservations() const {
    const json j = json::parse(d.get("/api/v1/reservations", {{"Authorization", "Bearer " + kAdmin}}).body, nullptr, false);
    return j.is_object() ? j["reservations"].size() : 999;
  }
};

// Sends `bytes` on a new connection and reads until the server closes it or 3 s pass.
Received exchange(int port, const std::string& bytes) { return send_until_closed(port, bytes, std::chrono::seconds(3)); }

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

std::string hex(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

const std::string kChat = R"({"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})";

}  // namespace

TEST_CASE("a chunked body whose chunk runs past its size: what follows never runs as a next request") {
  Fixture f;
  // The chunk says kChat.size() bytes; "XX" follows where its CRLF belongs, then a whole request.
  // httplib 0.11 ends the body at the first line that is not the chunk's CRLF and reports success.
  const std::string hidden = "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey + "\r\n\r\n";
  const std::string bytes = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
                            "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            hex(kChat.size()) + "\r\n" + kChat + "XX\r\n" + hidden + "0\r\n\r\n";
  const Received r = exchange(f.d.port(), bytes);
  INFO("received: " << r.bytes);
  CHECK(r.answers() == 1);  // before: 3 (the chat, GET /v1/models from inside the body, a 400)
  CHECK(r.bytes.find(R"("object":"list")") == std::string::npos);
  CHECK(r.closed);
  CHECK(f.open_reservations() == 0);

  // A well-formed chunked body is still served (and its connection may end after the answer).
  const Received ok = exchange(f.d.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                               kKey + "\r\nTransfer-Encoding: chunked\r\n\r\n" + hex(kChat.size()) +
                                               "\r\n" + kChat + "\r\n0\r\n\r\n");
  INFO("received: " << ok.bytes);
  CHECK(ok.bytes.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(ok.answers() == 1);
}

TEST_CASE("the same lying chunked body to a path no POST route serves (a 404): what follows never runs either") {
  Fixture f;
  const std::string hidden = "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey + "\r\n\r\n";
  for (const std::string path : {"/no/such/route", "/telegram/webhook"}) {
    const std::string bytes = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kKey +
                              "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              hex(kChat.size()) + "\r\n" + kChat + "XX\r\n" + hidden + "0\r\n\r\n";
    const Received r = exchange(f.d.port(), bytes);
    INFO(path << " received: " << r.bytes);
    CHECK(r.answers() == 1);  // before: the 404, then the model list from inside the body, then a 400
    CHECK(r.bytes.find(R"("object":"list")") == std::string::npos);
    CHECK(r.closed);
  }
}

TEST_CASE("an upstream error quoting the account's key on /v1/responses/{id} never shows the key") {
  Fixture f;
  const Headers auth{{"Authorization", "Bearer " + kKey}};
  auto created = f.d.post("/v1/responses", R"({"model":"gpt-4o-mini","input":"hi"})", auth);
  REQUIRE(created.status == 200);
  REQUIRE(json::parse(created.body)["id"] == "resp_edges1");

  for (const std::string path : {"/v1/responses/resp_edges1", "/v1/responses/resp_edges1/input_items"}) {
    auto r = f.d.get(path, auth);
    INFO(path << ": " << r.status << " " << r.body);
    CHECK(r.status == 401);
    CHECK(r.body.find(kOpenAiKey) == std::string::npos);  // before: the key, verbatim
    CHECK(r.body.find("Incorrect API key provided") != std::string::npos);
  }
  // The upstream was sent the key (it is the one quoting it back).
  const auto sent = f.received();
  REQUIRE(sent.size() == 3);
  CHECK(header_of(sent[1], "Authorization") == "Bearer " + kOpenAiKey);
  CHECK(f.d.stderr_text().find(kOpenAiKey) == std::string::npos);
}

TEST_CASE("the Gemini URL model never reshapes the upstream request line") {
  Fixture f;
  const Headers auth{{"x-goog-api-key", kKey}};
  const std::string body = R"({"contents":[{"parts":[{"text":"hi"}]}]})";
  SUBCASE("an ordinary model and a <prefix>/<model> go as they are") {
    CHECK(f.d.post("/v1beta/models/gemini-2.5-flash:generateContent", body, auth).status == 200);
    CHECK(f.d.post("/v1beta/models/team-a/gemini-2.5-flash:generateContent?x=1", body, auth).status == 200);
    const auto sent = f.received();
    REQUIRE(sent.size() == 2);
    CHECK(request_line(sent[0]) == "POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1");
    CHECK(request_line(sent[1]) == "POST /v1beta/models/team-a/gemini-2.5-flash:generateContent?x=1 HTTP/1.1");
  }
  SUBCASE("a model that would end the path, add a query or a fragment, or a space is refused, nothing sent") {
    // Decoded by the listener: "gem?x=1 HTTP/1.1", "gem#frag", "a b", "../files", "a//b".
    for (const std::string model : {"gem%3Fx=1%20HTTP%2F1.1", "gem%23frag", "a%20b", "..%2Ffiles", "a%2F%2E%2E%2Fb",
                                    "a//b", "%2E", "a%25b", "a\"b"}) {
      auto r = f.d.post("/v1beta/models/" + model + ":generateContent", body, auth);
      INFO(model << ": " << r.status << " " << r.body);
      CHECK(r.status == 400);  // before: 200, the request line "POST /v1beta/models/gem?x=1 HTTP/1.1:generate..."
      const json j = json::parse(r.body, nullptr, false);
      REQUIRE(j.is_object());
      CHECK(j["error"]["status"] == "INVALID_ARGUMENT");
    }
    CHECK(f.received().empty());
    CHECK(f.open_reservations() == 0);
  }
}

// The head of the one answer to a chat asking for `model` (the raw bytes, names as written).
std::string chat_head(Fixture& f, const std::string& model) {
  const std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}]})";
  const Received r = exchange(f.d.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                          "Authorization: Bearer " + kKey + "\r\nContent-Length: " +
                                              std::to_string(body.size()) + "\r\n\r\n" + body);
  return r.bytes;
}

bool has_control_in_head(const std::string& answer) {
  const std::string head = answer.substr(0, answer.find("\r\n\r\n"));
  for (std::size_t i = 0; i < head.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(head[i]);
    if (c == '\r' && i + 1 < head.size() && head[i + 1] == '\n') {
      ++i;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

TEST_CASE("an upstream head with a control character in a header is never relayed into the client's head") {
  Fixture f;
  for (const std::string model : {"name-with-ctl", "value-with-ctl"}) {
    const std::string answer = chat_head(f, model);
    INFO(model << ": " << answer);
    // Before: "Content-Length\x0c: 5" and "Transfer-Encoding\x0b: chunked" in the client's head
    // beside the real Content-Length (a lenient client frames the body by them), "a\x01b\x7f".
    CHECK_FALSE(has_control_in_head(answer));
    CHECK(answer.rfind("HTTP/1.1 502 ", 0) == 0);  // a malformed head: the upstream's failure
    CHECK(answer.find("malformed response head") != std::string::npos);
  }
  CHECK(f.open_reservations() == 0);
}

TEST_CASE("the request's credential headers, echoed by an upstream, are never relayed") {
  Fixture f;
  const std::string answer = chat_head(f, "echo-credentials");
  INFO(answer);
  CHECK(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(answer.find(kOpenAiKey) == std::string::npos);  // before: X-Api-Key and Authorization relayed
  CHECK(answer.find(kGeminiKey) == std::string::npos);
  CHECK(answer.find("x-provider-note: kept") != std::string::npos);
}

TEST_CASE("a query parameter's name never splits the upstream request (CRLF, space)") {
  Fixture f;
  // Decoded by the listener, the name is "a b\r\nX-Injected: yes\r\nFoo": it went into the
  // upstream request line as it was, its own header line after it.
  const std::string query = "?a%20b%0D%0AX-Injected:%20yes%0D%0AFoo=1&beta=true";
  CHECK(f.d.post("/v1beta/models/gemini-2.5-flash:generateContent" + query,
                 R"({"contents":[{"parts":[{"text":"hi"}]}]})", {{"x-goog-api-key", kKey}})
            .status == 200);
  CHECK(f.d.post("/v1/responses" + query, R"({"model":"gpt-4o-mini","input":"hi"})",
                 {{"Authorization", "Bearer " + kKey}})
            .status == 200);
  const auto sent = f.received();
  REQUIRE(sent.size() == 2);
  for (const auto& r : sent) {
    INFO(r);
    CHECK(r.find("\r\nX-Injected") == std::string::npos);  // before: a header line of its own
    const std::string line = request_line(r);
    CHECK(std::count(line.begin(), line.end(), ' ') == 2);
    CHECK(line.find("?a%20b%0D%0AX-Injected%3A%20yes%0D%0AFoo=1&beta=true HTTP/1.1") != std::string::npos);
  }
}

namespace {

// An Anthropic and a Gemini account on one scripted upstream that reports the usage the model
// asked for names (the Gemini model is in the URL).
struct UsageFixture {
  ScriptedUpstream upstream{[](const std::string& r, const ScriptedUpstream::Conn& c) {
    const std::string line = request_line(r);
    const std::string model = line.find("/models/") != std::string::npos
                                  ? line.substr(line.find("/models/") + 8, line.find(':') - line.find("/models/") - 8)
                                  : model_of(r);
    const std::string big = "9223372036854775807";  // INT64_MAX: plus any other field, past int64
    if (model == "stream-huge-output") {
      const std::string events =
          "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"hello\"}}\n\n"
          "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5000000000}}\n\n"
          "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
      return c.write(http_response(200, "text/event-stream", events));
    }
    std::string usage;
    if (model == "sum-overflow")
      usage = R"("usage":{"input_tokens":)" + big + R"(,"cache_creation_input_tokens":1,"output_tokens":5})";
    else if (model == "negative-input")
      usage = R"("usage":{"input_tokens":-1000000,"output_tokens":5})";
    else if (model == "gem-overflow")
      usage = R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":)" + big + R"(,"thoughtsTokenCount":1})";
    else
      usage = R"("usage":{"input_tokens":3,"output_tokens":4})";
    return c.write(http_response(200, "application/json",
                                 R"({"id":"msg_1","type":"message","content":[{"type":"text","text":"hi"}],)" + usage + "}"));
  }};
  DaemonProcess d;
  UsageFixture()
      : d(DaemonOptions().config(
            "storage: {db_path: \"./qg.db\"}\n"
            "server: {admin_token: \"" + kAdmin + "\", api_keys: [\"" + kKey + "\"]}\n"
            "proxy: {max_attempts: 1}\n"
            "accounts:\n"
            "  - {id: an1, provider: anthropic, base_url: \"" + upstream.base_url() + "\", api_key: \"sk-ant-edges-1\"}\n"
            "  - {id: g1, provider: gemini, base_url: \"http://127.0.0.1:" + std::to_string(upstream.port()) +
            "/v1beta\", api_key: \"" + kGeminiKey + "\"}\n")) {
    std::string why;
    REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  }
  json admin(const std::string& path) const {
    return json::parse(d.get(path, {{"Authorization", "Bearer " + kAdmin}}).body, nullptr, false);
  }
  // The commit event of the reservation answered with `reservation`, once written (null when
  // none comes within 5 s: commits are appended after the answer).
  json committed(const std::string& reservation) const {
    json found;
    wait_for([&] {
      const json all = admin("/api/v1/events?limit=1000");
      for (const auto& e : all["events"])
        if (e["type"] == "ReservationCommitted" && e["data"]["id"] == reservation) found = e["data"];
      return found.is_object();
    });
    return found;
  }
};

}  // namespace

TEST_CASE("usage an upstream reports outside 0..1e9 in a field (negative, past int64 in a sum) commits the estimate") {
  UsageFixture f;
  const Headers anthropic{{"x-api-key", kKey}};
  SUBCASE("messages, plain") {
    for (const std::string model : {"sum-overflow", "negative-input"}) {
      auto r = f.d.post("/v1/messages", R"({"model":")" + model + R"(","max_tokens":7,"messages":[]})", anthropic);
      REQUIRE(r.status == 200);
      const json c = f.committed(r.header("x-quotaguard-reservation"));
      INFO(model << ": " << c.dump());
      REQUIRE(c.is_object());
      CHECK(c["estimated"] == true);  // before: input_tokens 0 (-1,000,000 clamped; INT64_MAX + 1 wrapped), not estimated
      CHECK(c["usage"]["input_tokens"].get<std::int64_t>() > 0);
    }
  }
  SUBCASE("gemini, plain") {
    auto r = f.d.post("/v1beta/models/gem-overflow:generateContent", R"({"contents":[]})", {{"x-goog-api-key", kKey}});
    REQUIRE(r.status == 200);
    const json c = f.committed(r.header("x-quotaguard-reservation"));
    INFO(c.dump());
    REQUIRE(c.is_object());
    CHECK(c["estimated"] == true);  // before: candidates INT64_MAX + thoughts 1 wrapped negative, clamped to 0
  }
  SUBCASE("messages, a stream whose final usage is past the bound: settled with the estimate, not left open") {
    auto r = f.d.post("/v1/messages", R"({"model":"stream-huge-output","max_tokens":7,"stream":true,"messages":[]})",
                      anthropic);
    REQUIRE(r.status == 200);
    // Before: the commit carried output_tokens 5e9, the account refused the event and the
    // reservation stayed open until its TTL.
    const json c = f.committed(r.header("x-quotaguard-reservation"));
    INFO(c.dump());
    REQUIRE(c.is_object());
    CHECK(c["estimated"] == true);
    CHECK(c["usage"]["input_tokens"] == 10);  // what the stream reported in range is kept
    CHECK(f.admin("/api/v1/reservations")["reservations"].empty());
  }
}
