// http/request_parser.hpp — what routing needs from an OpenAI-style request body.
//
// The proxy forwards the client's body byte for byte except for two splices: the `model`
// value (fallback model, CLIProxyAPI `<prefix>/<model>`) and, for streams, a
// `stream_options.include_usage: true` so the upstream reports usage. Parsing is simdjson
// on-demand over a padded copy; nothing is re-serialised. Skipped values are validated only
// structurally (the upstream rejects the rest). Errors are one-line OpenAI-style messages.
#pragma once

#include "messages/json_text.hpp"  // json_quote, for the callers building bodies
#include "messages/text_bounds.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

enum class ApiEndpoint { chat_completions, completions, embeddings };

// Bounds on what a request may ask (400 past them, naming the field and the bound): model
// names are stored in events and sticky routes; token counts feed the reservation estimate.
inline constexpr std::size_t kMaxModelNameBytes = kMaxNameBytes;  // messages/text_bounds.hpp
inline constexpr std::int64_t kMaxRequestTokens = 1'000'000'000;  // = kMaxUsagePerRequest
inline constexpr std::int64_t kMaxChoices = 128;                   // `n`

// The upstream path under the OpenAI base (`/chat/completions`, ...).
const char* endpoint_path(ApiEndpoint e);

// One replacement in the body: erase `erase` bytes at `at`, insert `text`.
struct BodySplice {
  std::size_t at = 0;
  std::size_t erase = 0;
  std::string text;
};

struct ParsedRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;        // the client itself asked for stream_options.include_usage
  std::int64_t max_tokens = 0;       // max_tokens / max_completion_tokens times n; 0 = not given
  std::int64_t prompt_bytes = 0;     // message contents / prompt / input (+ tools), in bytes
  std::size_t model_begin = 0;       // the model string token in the body, quotes included
  std::size_t model_end = 0;
  std::optional<BodySplice> usage_splice;  // makes include_usage true (set when stream && !include_usage)
};

struct RequestParseResult {
  std::optional<ParsedRequest> request;
  std::string error;                 // OpenAI-style message when request is empty
  std::string param;                 // offending field, "" if none
};

RequestParseResult parse_request(ApiEndpoint endpoint, std::string_view body);

// The body with `model` replaced by `upstream_model` and, when `add_include_usage` and the
// request has a usage splice, include_usage forced on. Other bytes are untouched.
std::string rewrite_request_body(std::string_view body, const ParsedRequest& request,
                                 std::string_view upstream_model, bool add_include_usage);

}  // namespace qg
