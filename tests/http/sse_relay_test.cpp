// tests/http/sse_relay_test.cpp — SSE relay over arbitrary byte splits.
#include "http/sse_relay.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace qg;

namespace {
std::string chunk(const std::string& text) {
  return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
         text + "\"}}],\"usage\":null}\n\n";
}
const std::string kUsageChunk =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
    "\"completion_tokens\":7,\"total_tokens\":18}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

std::string stream_text() { return chunk("Hello") + ": keep-alive comment\n\n" + chunk(" world") + kUsageChunk + kDone; }

std::string relay_in_pieces(SseRelay& relay, const std::string& input, std::mt19937& rng) {
  std::string out;
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t n = std::uniform_int_distribution<std::size_t>(1, 17)(rng);
    relay.feed(std::string_view(input).substr(pos, n), out);
    pos += n;
  }
  relay.finish(out);
  return out;
}
}  // namespace

TEST_CASE("usage chunk is read and dropped when the client did not ask for it") {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    SseRelay relay(true);
    std::string out = relay_in_pieces(relay, stream_text(), rng);
    CHECK(out == chunk("Hello") + ": keep-alive comment\n\n" + chunk(" world") + kDone);
    REQUIRE(relay.usage().has_value());
    CHECK(relay.usage()->input_tokens == 11);
    CHECK(relay.usage()->output_tokens == 7);
    CHECK(relay.usage()->requests == 1);
    CHECK(relay.saw_done());
    CHECK(relay.content_bytes() == 11);
    CHECK(relay.bytes_in() == static_cast<std::int64_t>(stream_text().size()));
  }
}

TEST_CASE("everything passes byte-exact when the client asked for usage") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    SseRelay relay(false);
    CHECK(relay_in_pieces(relay, stream_text(), rng) == stream_text());
    CHECK(relay.usage()->output_tokens == 7);
  }
}

TEST_CASE("CRLF line endings and multi-line data") {
  std::string crlf = "data: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\r\n\r\nevent: x\r\ndata: [DONE]\r\n\r\n";
  std::mt19937 rng(3);
  for (int round = 0; round < 100; ++round) {
    SseRelay relay(true);
    CHECK(relay_in_pieces(relay, crlf, rng) == crlf);
    CHECK(relay.saw_done());
    CHECK(relay.content_bytes() == 2);
  }
}

TEST_CASE("a cut stream has no usage but counts content for the estimate") {
  SseRelay relay(true);
  std::string out;
  relay.feed(chunk("abcdefgh") + "data: {\"choi", out);
  relay.finish(out);
  CHECK_FALSE(relay.usage().has_value());
  CHECK_FALSE(relay.saw_done());
  CHECK(relay.content_bytes() == 8);
  CHECK(out == chunk("abcdefgh") + "data: {\"choi");  // the partial tail is passed through as is
}

TEST_CASE("non-stream bodies: usage and content") {
  auto info = inspect_completion_json(
      R"({"choices":[{"message":{"role":"assistant","content":"hey"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}})");
  CHECK(info.valid_json);
  CHECK(info.content_bytes == 3);
  CHECK(info.usage->input_tokens == 3);
  CHECK_FALSE(info.usage_only);
  auto embed = inspect_completion_json(R"({"data":[],"usage":{"prompt_tokens":5,"total_tokens":5}})");
  CHECK(embed.usage->input_tokens == 5);
  CHECK(embed.usage->output_tokens == 0);
  CHECK_FALSE(inspect_completion_json("{oops").valid_json);
}

TEST_CASE("error event is OpenAI-shaped SSE") {
  CHECK(sse_error_event("upstream \"x\" failed", "upstream_error") ==
        "data: {\"error\":{\"message\":\"upstream \\\"x\\\" failed\",\"type\":\"upstream_error\",\"code\":\"upstream_error\"}}\n\n");
}
