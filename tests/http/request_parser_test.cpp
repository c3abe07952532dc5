// tests/http/request_parser_test.cpp — request parsing and byte-splicing rewrites.
#include "http/request_parser.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;

namespace {
ParsedRequest parse_ok(ApiEndpoint e, const std::string& body) {
  auto r = parse_request(e, body);
  INFO(r.error);
  REQUIRE(r.request.has_value());
  return *r.request;
}
}  // namespace

TEST_CASE("chat: model, stream, max tokens, prompt bytes") {
  std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"abcd"},)"
                     R"({"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":100,"n":2})";
  auto r = parse_ok(ApiEndpoint::chat_completions, body);
  CHECK(r.model == "gpt-4o-mini");
  CHECK_FALSE(r.stream);
  CHECK(r.max_tokens == 200);
  CHECK(r.prompt_bytes == 4 + std::string(R"([{"type":"text","text":"hi"}])").size());
  CHECK(body.substr(r.model_begin, r.model_end - r.model_begin) == "\"gpt-4o-mini\"");
  CHECK_FALSE(r.usage_splice.has_value());
}

TEST_CASE("max_completion_tokens counts like max_tokens") {
  auto r = parse_ok(ApiEndpoint::chat_completions, R"({"model":"m","messages":[],"max_completion_tokens":7})");
  CHECK(r.max_tokens == 7);
}

TEST_CASE("completions and embeddings measure prompt and input") {
  CHECK(parse_ok(ApiEndpoint::completions, R"({"model":"m","prompt":"12345678"})").prompt_bytes == 8);
  CHECK(parse_ok(ApiEndpoint::embeddings, R"({"model":"e","input":["ab","cd"]})").prompt_bytes ==
        std::string(R"(["ab","cd"])").size());
}

TEST_CASE("rewrite replaces only the model value") {
  std::string body = "{ \"messages\": [{\"role\":\"user\",\"content\":\"x\"}],\n  \"model\" : \"gpt-4o\" , \"temperature\": 0.5 }";
  auto r = parse_ok(ApiEndpoint::chat_completions, body);
  std::string out = rewrite_request_body(body, r, "acct-a/gpt-4o-mini", false);
  CHECK(out == "{ \"messages\": [{\"role\":\"user\",\"content\":\"x\"}],\n  \"model\" : \"acct-a/gpt-4o-mini\" , \"temperature\": 0.5 }");
  CHECK(rewrite_request_body(body, r, "gpt-4o", true) == body);  // nothing to do
  CHECK(rewrite_request_body(body, r, "we\"ird", false).find(R"("we\"ird")") != std::string::npos);
}

TEST_CASE("streams get include_usage injected in every stream_options shape") {
  struct Case {
    std::string body, expect_options;
  } cases[] = {
      {R"({"model":"m","stream":true})", R"({"include_usage":true})"},
      {R"({"model":"m","stream":true,"stream_options":{}})", R"({"include_usage":true})"},
      {R"({"model":"m","stream":true,"stream_options":null})", R"({"include_usage":true})"},
      {R"({"model":"m","stream":true,"stream_options":{"include_usage":false}})", R"({"include_usage":true})"},
      {R"({"model":"m","stream":true,"stream_options":{"include_obfuscation":false}})",
       R"({"include_obfuscation":false,"include_usage":true})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = parse_ok(ApiEndpoint::chat_completions, c.body);
    CHECK(r.stream);
    CHECK_FALSE(r.include_usage);
    REQUIRE(r.usage_splice.has_value());
    std::string out = rewrite_request_body(c.body, r, "up", true);
    auto j = nlohmann::json::parse(out);
    CHECK(j["model"] == "up");
    CHECK(j["stream_options"]["include_usage"] == true);
    CHECK(nlohmann::json::parse(c.expect_options) == j["stream_options"]);
  }
}

TEST_CASE("a client that asked for usage keeps its body") {
  std::string body = R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})";
  auto r = parse_ok(ApiEndpoint::chat_completions, body);
  CHECK(r.include_usage);
  CHECK_FALSE(r.usage_splice.has_value());
  CHECK(rewrite_request_body(body, r, "m", true) == body);
  // Non-streaming requests are never given stream_options.
  auto plain = parse_ok(ApiEndpoint::chat_completions, R"({"model":"m","stream":false})");
  CHECK_FALSE(plain.usage_splice.has_value());
}

TEST_CASE("malformed and invalid bodies give one-line OpenAI-style errors") {
  struct Case {
    std::string body, param;
  } cases[] = {
      {"", ""},
      {"{", ""},
      {"not json", ""},
      {"[1,2]", ""},
      {R"({"model":"m"} trailing)", ""},
      {R"({"model":"m"} {})", ""},
      {R"({"messages":[]})", "model"},
      {R"({"model":""})", "model"},
      {R"({"model":42})", "model"},
      {R"({"model":"m","stream":"yes"})", "stream"},
      {R"({"model":"m","max_tokens":-1})", "max_tokens"},
      {R"({"model":"m","max_tokens":1.5})", "max_tokens"},
      {R"({"model":"m","n":0})", "n"},
      {R"({"model":"m","messages":"hi"})", "messages"},
      {R"({"model":"m","stream":true,"stream_options":"x"})", "stream_options"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = parse_request(ApiEndpoint::chat_completions, c.body);
    CHECK_FALSE(r.request.has_value());
    CHECK_FALSE(r.error.empty());
    CHECK(r.error.find('\n') == std::string::npos);
    CHECK(r.param == c.param);
  }
}
