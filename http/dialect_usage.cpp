// http/dialect_usage.cpp — see dialect_usage.hpp.
#include "http/dialect_usage.hpp"
#include "messages/usage_range.hpp"

#include "http/sse_relay.hpp"

#include "messages/token_estimate.hpp"

#include "http/json_parsers.hpp"

#include <simdjson.h>

#include <algorithm>

namespace qg {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// What a usage field outside [0, kMaxUsagePerRequest] reads as: a sum of a few such fields can
// neither overflow (INT64_MAX + 1) nor come back into range (-1,000,000 + 10), so
// usage_in_range refuses the whole report and the estimate is committed (docs/INTERFACE.md).
constexpr std::int64_t kOutOfRange = kMaxUsagePerRequest + 1;

bool in_range(std::int64_t v) { return v >= 0 && v <= kMaxUsagePerRequest; }

// A usage field (`fallback` when absent), kOutOfRange when outside the bound.
std::int64_t int_or(element e, std::string_view key, std::int64_t fallback) {
  std::int64_t v = 0;
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return fallback;
  if (o[key].get_int64().get(v) != simdjson::SUCCESS) return fallback;
  return in_range(v) ? v : kOutOfRange;
}

bool has_int(element e, std::string_view key) {
  object o;
  std::int64_t v = 0;
  return e.get_object().get(o) == simdjson::SUCCESS && o[key].get_int64().get(v) == simdjson::SUCCESS;
}

std::int64_t string_bytes(element e, std::string_view key) {
  std::string_view s;
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS || o[key].get_string().get(s) != simdjson::SUCCESS) return 0;
  return static_cast<std::int64_t>(s.size());
}

// Anthropic usage object: input side (with cache fields) and output.
void anthropic_usage(element u, std::int64_t& input, std::int64_t& output) {
  if (has_int(u, "input_tokens") || has_int(u, "cache_creation_input_tokens") || has_int(u, "cache_read_input_tokens"))
    input = int_or(u, "input_tokens", 0) + int_or(u, "cache_creation_input_tokens", 0) +
            int_or(u, "cache_read_input_tokens", 0);
  if (has_int(u, "output_tokens")) output = int_or(u, "output_tokens", 0);
}

// Gemini candidates[].content.parts[].text bytes, and whether a candidate finished.
std::int64_t gemini_text(element doc, bool& finished) {
  std::int64_t n = 0;
  simdjson::dom::array candidates;
  if (doc["candidates"].get_array().get(candidates) != simdjson::SUCCESS) return 0;
  for (element c : candidates) {
    std::string_view reason;
    if (c["finishReason"].get_string().get(reason) == simdjson::SUCCESS && !reason.empty()) finished = true;
    simdjson::dom::array parts;
    if (c["content"]["parts"].get_array().get(parts) != simdjson::SUCCESS) continue;
    for (element p : parts) n += string_bytes(p, "text");
  }
  return n;
}

void gemini_usage(element doc, std::int64_t& input, std::int64_t& output) {
  element u;
  if (doc["usageMetadata"].get(u) != simdjson::SUCCESS || !u.is_object()) return;
  if (has_int(u, "promptTokenCount")) input = int_or(u, "promptTokenCount", 0);
  if (has_int(u, "candidatesTokenCount") || has_int(u, "thoughtsTokenCount"))
    output = int_or(u, "candidatesTokenCount", 0) + int_or(u, "thoughtsTokenCount", 0);
}

Usage make_usage(std::int64_t input, std::int64_t output) {
  return Usage{1, std::max<std::int64_t>(0, input), std::max<std::int64_t>(0, output)};
}

}  // namespace

BodyUsage read_body_usage(Dialect dialect, std::string_view json) {
  if (dialect == Dialect::chat) {
    ChunkInfo c = inspect_completion_json(json);
    BodyUsage out{c.valid_json, c.usage, c.content_bytes};
    out.usage_out_of_range = c.usage_out_of_range;
    return out;
  }
  BodyUsage out;
  thread_local simdjson::dom::parser parser = bounded_dom_parser();
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) return out;
  out.valid_json = true;
  std::int64_t input = -1, output = -1;
  if (dialect == Dialect::messages) {
    element u;
    if (doc["usage"].get(u) == simdjson::SUCCESS) anthropic_usage(u, input, output);
    simdjson::dom::array content;
    if (doc["content"].get_array().get(content) == simdjson::SUCCESS)
      for (element b : content) out.content_bytes += string_bytes(b, "text");
  } else if (dialect == Dialect::responses) {
    std::string_view id;
    if (doc["id"].get_string().get(id) == simdjson::SUCCESS) out.response_id = std::string(id);
    element u;
    if (doc["usage"].get(u) == simdjson::SUCCESS && u.is_object()) {
      if (has_int(u, "input_tokens")) input = int_or(u, "input_tokens", 0);
      if (has_int(u, "output_tokens")) output = int_or(u, "output_tokens", 0);
    }
    simdjson::dom::array items;
    if (doc["output"].get_array().get(items) == simdjson::SUCCESS)
      for (element item : items) {
        simdjson::dom::array parts;
        if (item["content"].get_array().get(parts) != simdjson::SUCCESS) continue;
        for (element p : parts) out.content_bytes += string_bytes(p, "text");
      }
  } else {
    bool finished = false;
    out.content_bytes = gemini_text(doc, finished);
    gemini_usage(doc, input, output);
  }
  if (input >= 0 || output >= 0) out.usage = make_usage(input, output);
  if (out.usage && !usage_in_range(*out.usage)) {  // absurd numbers: treated as missing
    out.usage.reset();
    out.usage_out_of_range = true;
  }
  return out;
}

void StreamUsageMeter::on_event(std::string_view name, std::string_view data) {
  ++events_;
  if (data.empty()) return;
  if (dialect_ == Dialect::chat && data == "[DONE]") {
    complete_ = true;
    return;
  }
  thread_local simdjson::dom::parser parser = bounded_dom_parser();
  element doc;
  if (parser.parse(data.data(), data.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    if (events_ == 1) first_valid_ = false;
    return;
  }
  std::string_view type;
  if (doc["type"].get_string().get(type) != simdjson::SUCCESS) type = name;
  switch (dialect_) {
    case Dialect::chat: {
      ChunkInfo c = inspect_completion_json(data);
      content_bytes_ += c.content_bytes;
      if (c.usage) {
        input_ = c.usage->input_tokens;
        output_ = c.usage->output_tokens;
        final_ = true;
      }
      if (doc["error"].is_object()) error_ = true;
      break;
    }
    case Dialect::messages: {
      if (type == "message_start") {
        element u;
        if (doc["message"]["usage"].get(u) == simdjson::SUCCESS) anthropic_usage(u, input_, output_);
      } else if (type == "message_delta") {
        element u;
        if (doc["usage"].get(u) == simdjson::SUCCESS) anthropic_usage(u, input_, output_);
        final_ = output_ >= 0;
      } else if (type == "content_block_delta") {
        element delta;
        if (doc["delta"].get(delta) == simdjson::SUCCESS)
          content_bytes_ += string_bytes(delta, "text") + string_bytes(delta, "partial_json") +
                            string_bytes(delta, "thinking");
      } else if (type == "message_stop") {
        complete_ = true;
      } else if (type == "error") {
        error_ = true;
      }
      break;
    }
    case Dialect::responses: {
      std::string_view id;
      if (response_id_.empty() && doc["response"]["id"].get_string().get(id) == simdjson::SUCCESS)
        response_id_ = std::string(id);
      if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
        element u;
        if (doc["response"]["usage"].get(u) == simdjson::SUCCESS && u.is_object()) {
          if (has_int(u, "input_tokens")) input_ = int_or(u, "input_tokens", 0);
          if (has_int(u, "output_tokens")) output_ = int_or(u, "output_tokens", 0);
          final_ = true;
        }
        complete_ = true;
        if (type == "response.failed") error_ = true;
      } else if (type == "error") {
        error_ = true;
      } else if (type.ends_with(".delta")) {
        content_bytes_ += string_bytes(doc, "delta");
      }
      break;
    }
    case Dialect::gemini: {
      bool finished = false;
      content_bytes_ += gemini_text(doc, finished);
      gemini_usage(doc, input_, output_);
      if (doc["error"].is_object()) error_ = true;
      if (finished) {
        complete_ = true;
        final_ = input_ >= 0 || output_ >= 0;
      }
      break;
    }
  }
}

std::optional<Usage> StreamUsageMeter::final_usage() const {
  if (!final_ || usage_out_of_range()) return std::nullopt;
  return make_usage(input_, output_);
}

bool StreamUsageMeter::usage_out_of_range() const {
  return final_ && !usage_in_range(make_usage(input_, output_));
}

Usage StreamUsageMeter::estimate(std::int64_t reserved_input) const {
  // Reported numbers only when within the bound (input_ may be a sum of in-range fields past it).
  const std::int64_t output = std::max(in_range(output_) ? output_ : -1, tokens_from_bytes(content_bytes_));
  return make_usage(in_range(input_) ? input_ : reserved_input, output);
}

}  // namespace qg
