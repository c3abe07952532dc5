// tests/http/dialect_test.cpp — per-dialect request parsing, usage extraction over the recorded
// streams in tests/fixtures/dialects/ (whole, in random pieces, and cut before the final usage
// event), error shapes, and the response -> account store.
#include "http/dialect_errors.hpp"
#include "http/dialect_request.hpp"
#include "http/dialect_usage.hpp"
#include "http/response_affinity.hpp"
#include "http/sse_relay.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace qg;

namespace {

std::string fixture(const std::string& path) {
  std::ifstream in(std::string(QG_SOURCE_DIR) + "/tests/fixtures/dialects/" + path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Relays `input` in random pieces; returns what the client got.
std::string relay(SseRelay& r, const std::string& input, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out;
  for (std::size_t pos = 0; pos < input.size();) {
    std::size_t n = std::uniform_int_distribution<std::size_t>(1, 29)(rng);
    r.feed(std::string_view(input).substr(pos, n), out);
    pos += n;
  }
  r.finish(out);
  return out;
}

// `input` up to (not including) the first event containing `marker`.
std::string cut_before(const std::string& input, const std::string& marker) {
  std::size_t at = input.find(marker);
  REQUIRE(at != std::string::npos);
  std::size_t start = input.rfind("\n\n", at);
  std::size_t crlf = input.rfind("\r\n\r\n", at);
  if (crlf != std::string::npos && (start == std::string::npos || crlf + 2 > start)) return input.substr(0, crlf + 4);
  return input.substr(0, start + 2);
}

}  // namespace

TEST_CASE("messages stream: usage from message_start merged with the cumulative message_delta") {
  const std::string sse = fixture("anthropic/stream.sse");
  for (unsigned seed = 0; seed < 50; ++seed) {
    SseRelay r(false, Dialect::messages);
    CHECK(relay(r, sse, seed) == sse);  // byte for byte
    REQUIRE(r.usage().has_value());
    CHECK(r.usage()->input_tokens == 472 + 1024 + 20480);
    CHECK(r.usage()->output_tokens == 89);
    CHECK(r.saw_done());
  }
}

TEST_CASE("messages stream cut before message_delta: no final usage, the estimate keeps the reported input") {
  const std::string cut = cut_before(fixture("anthropic/stream.sse"), "message_delta");
  SseRelay r(false, Dialect::messages);
  relay(r, cut, 7);
  CHECK_FALSE(r.usage().has_value());
  CHECK_FALSE(r.saw_done());
  Usage e = r.estimate(5);
  CHECK(e.input_tokens == 472 + 1024 + 20480);  // from message_start
  CHECK(e.output_tokens >= 2);
  CHECK(e.output_tokens == std::max<std::int64_t>(2, (r.content_bytes() + 3) / 4));
}

TEST_CASE("messages stream ending with an error event is flagged") {
  SseRelay r(false, Dialect::messages);
  relay(r, fixture("anthropic/stream-error.sse"), 3);
  CHECK(r.upstream_error_event());
  CHECK_FALSE(r.saw_done());
}

TEST_CASE("responses stream: usage of response.completed, and the response id") {
  const std::string sse = fixture("responses/stream.sse");
  for (unsigned seed = 0; seed < 50; ++seed) {
    SseRelay r(false, Dialect::responses);
    CHECK(relay(r, sse, seed) == sse);
    REQUIRE(r.usage().has_value());
    CHECK(r.usage()->input_tokens == 9120);
    CHECK(r.usage()->output_tokens == 214);
    CHECK(r.saw_done());
    CHECK(r.response_id() == "resp_0FAKE68a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f");
  }
}

TEST_CASE("responses stream cut before response.completed commits an estimate") {
  SseRelay r(false, Dialect::responses);
  relay(r, cut_before(fixture("responses/stream.sse"), "\"type\":\"response.completed\""), 1);
  CHECK_FALSE(r.usage().has_value());
  CHECK_FALSE(r.saw_done());
  CHECK(r.estimate(100).input_tokens == 100);  // the reservation's: responses report input only at the end
  CHECK(r.estimate(100).output_tokens > 0);
}

TEST_CASE("gemini stream (CRLF): usage of the last chunk, complete at finishReason") {
  const std::string sse = fixture("gemini/stream.sse");
  REQUIRE(sse.find("\r\n\r\n") != std::string::npos);
  for (unsigned seed = 0; seed < 50; ++seed) {
    SseRelay r(false, Dialect::gemini);
    CHECK(relay(r, sse, seed) == sse);
    REQUIRE(r.usage().has_value());
    CHECK(r.usage()->input_tokens == 1311);
    CHECK(r.usage()->output_tokens == 53 + 312);
    CHECK(r.saw_done());
  }
}

TEST_CASE("gemini stream cut before its last chunk: running usage is not final") {
  SseRelay r(false, Dialect::gemini);
  relay(r, cut_before(fixture("gemini/stream.sse"), "finishReason"), 2);
  CHECK_FALSE(r.usage().has_value());
  Usage e = r.estimate(9);
  CHECK(e.input_tokens == 1311);       // running usageMetadata reported it
  CHECK(e.output_tokens >= 41 + 312);  // at least the running count
}

TEST_CASE("plain bodies: usage per dialect") {
  auto m = read_body_usage(Dialect::messages, fixture("anthropic/plain.response.json"));
  REQUIRE(m.usage);
  CHECK(m.usage->input_tokens == 472 + 1024 + 20480);
  CHECK(m.usage->output_tokens == 89);
  auto r = read_body_usage(Dialect::responses, fixture("responses/plain.response.json"));
  REQUIRE(r.usage);
  CHECK(r.usage->input_tokens == 9120);
  CHECK(r.usage->output_tokens == 214);
  CHECK(r.response_id.rfind("resp_", 0) == 0);
  auto g = read_body_usage(Dialect::gemini, fixture("gemini/plain.response.json"));
  REQUIRE(g.usage);
  CHECK(g.usage->input_tokens == 1311);
  CHECK(g.usage->output_tokens == 53 + 312);
  CHECK_FALSE(read_body_usage(Dialect::gemini, "not json").valid_json);

  // A field outside 0..1e9 refuses the report (the estimate is committed), also inside a sum:
  // INT64_MAX + 1 must not wrap, -1,000,000 + 10 must not pass, nor be clamped to 0.
  for (const auto& [dialect, body] : std::vector<std::pair<Dialect, std::string>>{
           {Dialect::messages, R"({"usage":{"input_tokens":9223372036854775807,"cache_read_input_tokens":1,"output_tokens":2}})"},
           {Dialect::messages, R"({"usage":{"input_tokens":-1000000,"cache_read_input_tokens":10,"output_tokens":2}})"},
           {Dialect::messages, R"({"usage":{"input_tokens":600000000,"cache_read_input_tokens":600000000,"output_tokens":2}})"},
           {Dialect::responses, R"({"usage":{"input_tokens":3,"output_tokens":-4}})"},
           {Dialect::gemini, R"({"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":9223372036854775807,"thoughtsTokenCount":1}})"}}) {
    const BodyUsage b = read_body_usage(dialect, body);
    CHECK_MESSAGE(!b.usage.has_value(), body);
    CHECK_MESSAGE(b.usage_out_of_range, body);
  }
  StreamUsageMeter meter(Dialect::messages);
  meter.on_event("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})");
  meter.on_event("message_delta", R"({"type":"message_delta","usage":{"output_tokens":5000000000}})");
  CHECK_FALSE(meter.final_usage().has_value());
  CHECK(meter.usage_out_of_range());
  CHECK(meter.estimate(7).input_tokens == 10);
  CHECK(meter.estimate(7).output_tokens < 1000);
}

TEST_CASE("request parsing per dialect") {
  auto m = parse_dialect_request(Dialect::messages,
                                 R"({"model":"claude-x","max_tokens":300,"stream":true,"system":"be brief","messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(m.request);
  CHECK(m.request->base.model == "claude-x");
  CHECK(m.request->base.max_tokens == 300);
  CHECK(m.request->base.stream);
  CHECK(m.request->base.prompt_bytes > 0);
  CHECK(rewrite_request_body(R"({"model":"claude-x","max_tokens":1})", parse_dialect_request(Dialect::messages, R"({"model":"claude-x","max_tokens":1})").request->base, "p/claude-x", false) ==
        R"({"model":"p/claude-x","max_tokens":1})");

  auto r = parse_dialect_request(Dialect::responses, R"({"model":"gpt-5","input":"hello","previous_response_id":"resp_1","stream":false})");
  REQUIRE(r.request);
  CHECK(r.request->base.max_tokens == 0);  // Codex sends none: the configured default applies
  CHECK(r.request->previous_response_id == "resp_1");

  auto g = parse_dialect_request(Dialect::gemini, R"({"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":77}})");
  REQUIRE(g.request);
  CHECK(g.request->base.max_tokens == 77);
  CHECK(g.request->base.model.empty());

  CHECK_FALSE(parse_dialect_request(Dialect::messages, R"({"max_tokens":1})").request);
  CHECK_FALSE(parse_dialect_request(Dialect::responses, R"({"model":"x",)").request);
  CHECK_FALSE(parse_dialect_request(Dialect::gemini, R"({"generationConfig":{"maxOutputTokens":-1}})").request);
  CHECK_FALSE(parse_dialect_request(Dialect::messages, R"({"model":"x","max_tokens":"many"})").request);

  std::string model, action;
  CHECK(split_gemini_target("pro/gemini-2.5-flash:streamGenerateContent", model, action));
  CHECK(model == "pro/gemini-2.5-flash");
  CHECK(action == "streamGenerateContent");
  CHECK_FALSE(split_gemini_target("gemini-2.5-flash", model, action));
  CHECK_FALSE(split_gemini_target(":generateContent", model, action));

  // The Gemini URL model goes into the upstream request line as it is.
  for (const char* ok : {"gemini-2.5-flash", "pro/gemini-2.5-flash", "a_b~c@1:2+3", "v1.5"})
    CHECK_MESSAGE(gemini_model_path_ok(ok), ok);
  for (const char* bad : {"", "a b", "a?b", "a#b", "a%b", "a\"b", "/a", "a/", "a//b", "..", "./a", "a/../b", "\xc3\xa9"})
    CHECK_MESSAGE(!gemini_model_path_ok(bad), bad);
}

TEST_CASE("errors in each dialect's shape") {
  using nlohmann::json;
  auto a = json::parse(dialect_error_body(Dialect::messages, 429, "out of quota", "quota_exhausted"));
  CHECK(a["type"] == "error");
  CHECK(a["error"]["type"] == "rate_limit_error");
  CHECK(a["error"]["message"] == "out of quota");
  CHECK(json::parse(dialect_error_body(Dialect::messages, 529, "m", "c"))["error"]["type"] == "overloaded_error");
  CHECK(json::parse(dialect_error_body(Dialect::messages, 401, "m", "c"))["error"]["type"] == "authentication_error");
  CHECK(json::parse(dialect_error_body(Dialect::messages, 502, "m", "c"))["error"]["type"] == "api_error");
  auto g = json::parse(dialect_error_body(Dialect::gemini, 429, "out of quota", "quota_exhausted"));
  CHECK(g["error"]["code"] == 429);
  CHECK(g["error"]["status"] == "RESOURCE_EXHAUSTED");
  auto o = json::parse(dialect_error_body(Dialect::responses, 429, "out of quota", "quota_exhausted"));
  CHECK(o["error"]["type"] == "rate_limit_error");
  CHECK(o["error"]["code"] == "quota_exhausted");
  CHECK(dialect_sse_error(Dialect::messages, 502, "cut", "upstream_error").rfind("event: error\ndata: {\"type\":\"error\"", 0) == 0);
  CHECK(dialect_sse_error(Dialect::responses, 502, "cut", "upstream_error").rfind("event: error\ndata: {\"type\":\"error\",\"code\":\"upstream_error\"", 0) == 0);
  CHECK(dialect_sse_error(Dialect::gemini, 502, "cut", "upstream_error").rfind("data: {\"error\":{\"code\":502", 0) == 0);
}

TEST_CASE("dialects served by provider") {
  auto serves = [](const char* provider, Dialect d) { return (dialects_served(provider, provider) & dialect_bit(d)) != 0; };
  CHECK(serves("anthropic", Dialect::messages));
  CHECK_FALSE(serves("anthropic", Dialect::gemini));
  CHECK(dialects_served("gemini", "gemini") == dialect_bit(Dialect::gemini));
  CHECK(serves("openai", Dialect::responses));
  CHECK_FALSE(serves("openai", Dialect::messages));
  CHECK(dialects_served("cliproxy", "codex") == kAllDialects);
  // Every CLIProxyAPI auth type of the recorded samples serves every dialect (CLIProxyAPI
  // routes by model and translates), and so does a type QuotaGuard does not know.
  for (const auto& entry : std::filesystem::directory_iterator(std::string(QG_SOURCE_DIR) + "/tests/fixtures/cliproxy/auth-types")) {
    std::ifstream in(entry.path());
    const std::string type = nlohmann::json::parse(in).at("type");
    CAPTURE(type);
    CHECK(dialects_served("cliproxy", type) == kAllDialects);
  }
  CHECK(dialects_served("cliproxy", "some-fork-type") == kAllDialects);
  CHECK(dialect_names(dialects_served("openai", "openai")) == "chat, responses");
  CHECK(dialect_names(0) == "none");
  // Stored responses: only OpenAI keeps them; CLIProxyAPI drops previous_response_id.
  CHECK(keeps_responses("openai"));
  CHECK_FALSE(keeps_responses("cliproxy"));
  CHECK(parse_dialect("gemini") == Dialect::gemini);
  CHECK_FALSE(parse_dialect("grpc"));
}

TEST_CASE("response affinity: bounded, expiring, persisted across restarts, forgets deletes") {
  const auto dir = std::filesystem::temp_directory_path() / ("qg-affinity-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "db-responses").string();
  {
    ResponseAffinity a({path, 3, 1000}, 0);
    a.remember("resp_1", "acct-a", 10);
    a.remember("resp_2", "acct-b", 20);
    a.remember("bad id", "acct-b", 20);  // not storable
    a.remember("resp_3", "acct-a", 30);
    a.remember("resp_4", "acct-c", 40);  // evicts resp_1
    CHECK(a.size() == 3);
    CHECK_FALSE(a.account_of("resp_1", 50));
    CHECK(a.account_of("resp_2", 50) == "acct-b");
    CHECK_FALSE(a.account_of("resp_2", 2000));  // expired
    a.forget("resp_3");
  }
  {
    ResponseAffinity b({path, 3, 1000}, 500);
    CHECK(b.size() == 2);
    CHECK(b.account_of("resp_2", 500) == "acct-b");
    CHECK(b.account_of("resp_4", 500) == "acct-c");
    CHECK_FALSE(b.account_of("resp_3", 500));
  }
  {
    ResponseAffinity c({path, 3, 1000}, 5000);  // everything expired while down
    CHECK(c.size() == 0);
  }
  std::filesystem::remove_all(dir);
}
