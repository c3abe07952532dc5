// http/dialect_request.hpp — what routing needs from an Anthropic Messages, OpenAI Responses
// or Gemini generateContent request (the chat family is http/request_parser.hpp).
//
// Same contract as parse_request: the body is forwarded byte for byte except the `model`
// value (fallback model, CLIProxyAPI `<prefix>/<model>`), which rewrite_request_body splices.
// Per dialect:
//   messages   model, stream, max_tokens; prompt = messages[].content + system + tools
//   responses  model, stream, max_output_tokens, previous_response_id; prompt = input +
//              instructions + tools
//   gemini     the model and stream come from the URL (`/v1beta/models/{model}:action`), so
//              the body is only measured: generationConfig.maxOutputTokens; prompt =
//              contents + systemInstruction + tools. The body's model is never touched.
// max_tokens is 0 when the request names none (Codex CLI, Gemini CLI): the caller applies
// reservations.default_output_tokens. Errors are one-line messages for the dialect's error shape.
#pragma once

#include "http/request_parser.hpp"
#include "messages/dialect.hpp"

#include <string>
#include <string_view>

namespace qg {

struct DialectRequest {
  ParsedRequest base;                // model (not for gemini), stream, max_tokens, prompt_bytes
  std::string previous_response_id;  // responses only; "" = none
};

struct DialectParseResult {
  std::optional<DialectRequest> request;
  std::string error;
  std::string param;
};

// `dialect` must be messages, responses or gemini.
DialectParseResult parse_dialect_request(Dialect dialect, std::string_view body);

// `/v1beta/models/{model}:{action}` split: the part after "models/" up to the last ':'. The
// model may hold a '/' (`<prefix>/<model>`). False when `path_tail` ("{model}:{action}") has
// no ':' or an empty side, or the model holds a control character (its length is the
// route's check: a 400, not a 404).
bool split_gemini_target(std::string_view path_tail, std::string& model, std::string& action);

// True when a Gemini URL model (as the listener decoded it) can go into the upstream request
// line as it is: only letters, digits and `-._~@:+/`, and no empty, `.` or `..` segment. Any
// other byte ('?', '#', '%', a space, a quote...) or segment would reshape the upstream request
// (a query, a fragment, another path, a broken request line): the route answers 400.
bool gemini_model_path_ok(std::string_view model);

}  // namespace qg
