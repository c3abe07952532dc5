// fuzz/request_parser_fuzz.cpp — libFuzzer target: OpenAI request bodies (http/request_parser).
// The first byte picks the endpoint; the rest is the body. When a body is valid JSON (simdjson
// DOM) and parses, rewriting its model and include_usage must keep it parseable with the new
// model. (The parser validates skipped values only structurally, so some invalid JSON is
// accepted by design: fuzz/findings/request_parser-invalid-json-accepted.bin.)
#include "fuzz/fuzz_input.hpp"
#include "http/request_parser.hpp"

#include <simdjson.h>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto endpoint = static_cast<qg::ApiEndpoint>(data[0] % 3);
  const std::string_view body = qg::fuzz::as_view(data + 1, size - 1);
  auto r = qg::parse_request(endpoint, body);
  if (!r.request) return 0;
  static simdjson::dom::parser validator;
  if (validator.parse(simdjson::padded_string(body)).error()) return 0;  // invalid JSON: no invariant
  const std::string rewritten = qg::rewrite_request_body(body, *r.request, "fuzz-model/x", true);
  auto again = qg::parse_request(endpoint, rewritten);
  if (!again.request || again.request->model != "fuzz-model/x") std::abort();  // splice broke the body
  return 0;
}
