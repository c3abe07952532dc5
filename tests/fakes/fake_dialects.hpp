// tests/fakes/fake_dialects.hpp — wire formats of the Anthropic Messages, OpenAI Responses and
// Gemini generateContent dialects for qg-fake-provider (pure functions, nlohmann-json).
//
// Shapes follow the recorded samples in tests/fixtures/dialects/: Anthropic `message_start` →
// text block → `message_delta` (cumulative usage) → `message_stop`; Responses
// `response.created` … `response.output_text.delta` … `response.completed` with usage and
// sequence numbers; Gemini `data:` chunks with running `usageMetadata`, CRLF framing, the last
// with `finishReason: "STOP"`. Each SSE frame is returned whole so the server can stop between
// frames (the `cut` fault drops the connection before the final usage event).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace qg::fake {

enum class Wire { messages, responses, gemini };

struct Turn {
  std::string model;
  std::string text;            // the whole answer
  int chunks = 4;              // text pieces in a stream
  std::int64_t prompt = 0;     // input tokens
  std::int64_t completion = 0; // output tokens
  std::string id;              // message / response id
};

// Prompt text bytes of a request body in `wire` (messages+system, input+instructions, contents).
std::int64_t dialect_prompt_bytes(Wire wire, const nlohmann::json& body);
// The output bound the request names, or -1.
std::int64_t dialect_max_tokens(Wire wire, const nlohmann::json& body);

std::string plain_reply(Wire wire, const Turn& t);
std::vector<std::string> stream_frames(Wire wire, const Turn& t);  // complete SSE frames, in order
// Index of the first frame that carries the final usage (the `cut` fault stops before it).
std::size_t final_usage_frame(Wire wire, const std::vector<std::string>& frames);

// Error body of the provider of `wire` for an HTTP status (Anthropic type / OpenAI / Google status).
std::string error_body(Wire wire, int status, const std::string& message, int retry_after_s);

}  // namespace qg::fake
