// End-to-end (issue 16 items 7 and 8): x-request-id is kept or generated, returned on every
// response, stored in the request's ReservationCreated event and written in the access log —
// one structured line per proxied request, JSON fields with log.format: json, off by config.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <sstream>

using namespace qg::test;
using nlohmann::json;

namespace {

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

HttpReply chat_with_id(const E2eDaemon& qg, const std::string& id, bool stream) {
  std::string body = R"({"model":"gpt-4o-mini","max_tokens":20,"messages":[{"role":"user","content":"hi"}])";
  body += stream ? R"(,"stream":true})" : "}";
  Headers h;
  if (!id.empty()) h.emplace("X-Request-Id", id);
  return qg.daemon->post("/v1/chat/completions", body, h);
}

std::vector<json> access_lines(const std::string& log) {
  std::vector<json> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("logger", "") == "access") out.push_back(j);
  }
  return out;
}

}  // namespace

TEST_CASE("x-request-id: kept or generated on every response, stored in the event, in the JSON access log") {
  FakeProviderProcess fake({"--models", "gpt-4o-mini", "--chunks", "3"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-reqid", 0}}, "log:\n  format: json\n");

  auto plain = chat_with_id(qg, "client-req-42", false);
  REQUIRE(plain.status == 200);
  CHECK(plain.header("x-request-id") == "client-req-42");
  auto streamed = chat_with_id(qg, "client-stream-7", true);
  REQUIRE(streamed.status == 200);
  CHECK(streamed.header("x-request-id") == "client-stream-7");

  // Generated when absent or unusable; on admin, health and 404 replies too.
  auto generated = chat_with_id(qg, "", false);
  CHECK(std::regex_match(generated.header("x-request-id"), kUuid));
  CHECK(std::regex_match(chat_with_id(qg, "has space", false).header("x-request-id"), kUuid));
  CHECK(std::regex_match(chat_with_id(qg, std::string(200, 'a'), false).header("x-request-id"), kUuid));
  const auto h1 = qg.daemon->get("/health").header("x-request-id");
  const auto h2 = qg.daemon->get("/health").header("x-request-id");
  CHECK(std::regex_match(h1, kUuid));
  CHECK(h1 != h2);
  CHECK(std::regex_match(qg.daemon->get("/no/such/route").header("x-request-id"), kUuid));
  CHECK(qg.daemon->get("/metrics", {{"x-request-id", "scrape-1"}}).header("x-request-id") == "scrape-1");

  // The request's ReservationCreated holds its id.
  std::map<std::string, std::string> reservation_of;
  for (const auto& e : qg.events())
    if (e["type"] == "ReservationCreated" && e["data"].contains("request_id"))
      reservation_of[e["data"]["request_id"]] = e["data"]["id"];
  CHECK(reservation_of.count("client-req-42") == 1);
  CHECK(reservation_of.count("client-stream-7") == 1);
  CHECK(reservation_of.count(generated.header("x-request-id")) == 1);
  CHECK(reservation_of["client-req-42"] == plain.header("x-quotaguard-reservation"));

  REQUIRE(qg.daemon->stop() == 0);
  const auto lines = access_lines(qg.daemon->stderr_text());
  CHECK(lines.size() == 5);  // one per proxied request; none for /health, /metrics or 404
  std::map<std::string, json> by_id;
  for (const auto& l : lines) by_id[l.value("request_id", "")] = l;
  REQUIRE(by_id.count("client-req-42") == 1);
  const json& p = by_id["client-req-42"];
  CHECK(p["msg"] == "request");
  CHECK(p["level"] == "info");
  CHECK(p["status"] == 200);  // a number, not text inside msg
  CHECK(p["model"] == "gpt-4o-mini");
  CHECK(p["account"] == "a1");
  CHECK(p["dialect"] == "openai");
  CHECK(p["method"] == "POST");
  CHECK(p["path"] == "/v1/chat/completions");
  CHECK(p["stream"] == false);
  CHECK(p["attempts"] == 1);
  CHECK(p["input_tokens"].get<int>() > 0);
  CHECK(p["output_tokens"].get<int>() > 0);
  CHECK(p["latency_ms"].is_number());
  CHECK(p.contains("client_key"));
  REQUIRE(by_id.count("client-stream-7") == 1);
  CHECK(by_id["client-stream-7"]["stream"] == true);
  CHECK(by_id["client-stream-7"]["status"] == 200);
  CHECK(by_id["client-stream-7"]["output_tokens"].get<int>() > 0);  // committed at the stream's end
  CHECK(qg.daemon->stderr_text().find("sk-e2e-reqid") == std::string::npos);
}

TEST_CASE("access log: text format writes key=value after the message, log.access false turns it off") {
  FakeProviderProcess fake({"--models", "gpt-4o-mini"});
  {
    E2eDaemon qg;
    qg.start({{"a1", fake.port(), "sk-e2e-text", 0}});
    REQUIRE(chat_with_id(qg, "text-req-1", false).status == 200);
    auto refused = qg.daemon->post("/v1/chat/completions", "{not json", {{"x-request-id", "bad-body-1"}});
    CHECK(refused.status == 400);
    CHECK(refused.header("x-request-id") == "bad-body-1");
    REQUIRE(qg.daemon->stop() == 0);
    const std::string log = qg.daemon->stderr_text();
    CHECK(log.find("access: request request_id=text-req-1 ") != std::string::npos);
    CHECK(log.find(" status=200 ") != std::string::npos);
    CHECK(log.find("request_id=bad-body-1 ") != std::string::npos);  // refused requests are logged too
    CHECK(log.find(" status=400 ") != std::string::npos);
  }
  {
    E2eDaemon qg;
    qg.start({{"a1", fake.port(), "sk-e2e-off", 0}}, "log:\n  access: false\n");
    REQUIRE(chat_with_id(qg, "quiet-req-1", false).status == 200);
    REQUIRE(qg.daemon->stop() == 0);
    CHECK(qg.daemon->stderr_text().find("quiet-req-1") == std::string::npos);
  }
}
