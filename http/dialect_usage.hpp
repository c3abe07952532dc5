// http/dialect_usage.hpp — the usage a provider reports, read per dialect from a plain body or
// from the events of a stream.
//
// Where each dialect reports usage (docs/AGENTS.md has the wire facts):
//   messages   body `usage`; stream: `message_start.message.usage` (input side) overwritten
//              field by field by each `message_delta.usage` (cumulative totals), ended by
//              `message_stop`. input = input_tokens + cache_creation_input_tokens +
//              cache_read_input_tokens; output = output_tokens.
//   responses  body `usage`; stream: `response.usage` of the terminal `response.completed` /
//              `response.incomplete` / `response.failed`. input = input_tokens (cached
//              included), output = output_tokens (reasoning included).
//   gemini     `usageMetadata` of the body, or of the last stream chunk that carries one; the
//              stream is complete at the chunk with a `finishReason`. input = promptTokenCount,
//              output = candidatesTokenCount + thoughtsTokenCount.
//   chat       OpenAI `usage` (prompt_tokens/completion_tokens), `data: [DONE]` ends the stream.
// A stream that ends before its final usage (cut upstream, client gone) has no final usage:
// the caller commits an estimate — the reported input side when one arrived, else the
// reservation's, and ceil(generated text bytes / 4) output tokens — and marks it estimated.
// Pure: no I/O, no clock. One meter per stream; not thread-safe.
#pragma once

#include "messages/dialect.hpp"
#include "messages/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

// What a plain (non-streamed) reply body says.
struct BodyUsage {
  bool valid_json = false;        // a JSON object
  std::optional<Usage> usage;     // the reported usage, if any
  std::int64_t content_bytes = 0; // generated text bytes (for an estimate)
  std::string response_id;        // responses: the Response's `id`
  bool usage_out_of_range = false; // a usage outside 0..kMaxUsagePerRequest was reported (and dropped)
};
BodyUsage read_body_usage(Dialect dialect, std::string_view json);

class StreamUsageMeter {
 public:
  explicit StreamUsageMeter(Dialect dialect) : dialect_(dialect) {}

  // One SSE event: its `event:` name ("" if none) and its joined `data:` payload.
  void on_event(std::string_view name, std::string_view data);

  // The final usage, once the dialect's final usage report arrived and when every number in it
  // is within [0, kMaxUsagePerRequest] (else none: the estimate is committed).
  std::optional<Usage> final_usage() const;
  // The final usage report arrived with a number outside that bound (a field, or a sum of
  // fields such as Anthropic's input side).
  bool usage_out_of_range() const;
  // The usage to commit when there is no final usage: reported input side if any, else
  // `reserved_input`; output from the generated text (or a reported running count if larger).
  Usage estimate(std::int64_t reserved_input) const;

  bool complete() const { return complete_; }   // the dialect's end-of-stream event arrived
  bool error_event() const { return error_; }   // the upstream sent an error event mid-stream
  bool first_event_valid() const { return first_valid_; }  // the first data payload parsed (or none yet)
  std::int64_t content_bytes() const { return content_bytes_; }
  std::int64_t events() const { return events_; }
  const std::string& response_id() const { return response_id_; }  // responses: `response.id`

 private:
  Dialect dialect_;
  std::int64_t input_ = -1, output_ = -1;  // -1 = not reported
  bool final_ = false, complete_ = false, error_ = false, first_valid_ = true;
  std::int64_t content_bytes_ = 0, events_ = 0;
  std::string response_id_;
};

}  // namespace qg
