// fuzz/request_parser_fuzz.cpp — libFuzzer target: request bodies of every dialect
// (http/request_parser, http/dialect_request). The first byte picks the endpoint (0-2: OpenAI
// chat, completions, embeddings; 3-5: Anthropic Messages, OpenAI Responses, Gemini); the rest
// is the body. Whatever parses obeys the request bounds (issue 15 items 5 and 9): a model of at
// most kMaxModelNameBytes without control characters, max_tokens in [0, kMaxRequestTokens]
// (-1 for embeddings), prompt_bytes not negative. When an OpenAI body is valid JSON (simdjson
// DOM) and parses, rewriting its model and include_usage must keep it parseable with the new
// model. (The parser validates skipped values only structurally, so some invalid JSON is
// accepted by design: fuzz/findings/request_parser-invalid-json-accepted.bin.)
#include "fuzz/fuzz_input.hpp"
#include "http/dialect_request.hpp"
#include "http/request_parser.hpp"

#include <simdjson.h>

#include <cstdlib>

namespace {

void check_bounds(const qg::ParsedRequest& r) {
  if (r.model.size() > qg::kMaxModelNameBytes || qg::has_control_character(r.model)) std::abort();
  if (r.max_tokens < -1 || r.max_tokens > qg::kMaxRequestTokens) std::abort();
  if (r.prompt_bytes < 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body = qg::fuzz::as_view(data + 1, size - 1);
  const int selector = data[0] % 6;
  if (selector >= 3) {
    static constexpr qg::Dialect kDialects[] = {qg::Dialect::messages, qg::Dialect::responses, qg::Dialect::gemini};
    auto d = qg::parse_dialect_request(kDialects[selector - 3], body);
    if (d.request) check_bounds(d.request->base);
    return 0;
  }
  const auto endpoint = static_cast<qg::ApiEndpoint>(selector);
  auto r = qg::parse_request(endpoint, body);
  if (!r.request) return 0;
  check_bounds(*r.request);
  static simdjson::dom::parser validator;
  if (validator.parse(simdjson::padded_string(body)).error()) return 0;  // invalid JSON: no invariant
  const std::string rewritten = qg::rewrite_request_body(body, *r.request, "fuzz-model/x", true);
  auto again = qg::parse_request(endpoint, rewritten);
  if (!again.request || again.request->model != "fuzz-model/x") std::abort();  // splice broke the body
  return 0;
}
