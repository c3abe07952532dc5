// http/sse_relay.hpp — relaying an upstream Server-Sent-Events stream to the client.
//
// Upstream bytes arrive in arbitrary pieces; the relay cuts them into events (blank-line
// separated), passes each event through byte for byte, and watches the `data:` payloads for
// the usage report (chat here; other dialects through their StreamUsageMeter,
// http/dialect_usage.hpp). When QuotaGuard itself asked for `stream_options.include_usage` (the client
// did not), the extra usage-only chunk (`"choices":[]` with a `usage` object) is dropped.
// It also counts the generated text bytes so that a stream that never reports usage (cut
// upstream, client gone) can be committed as an estimate. Lines may end in CRLF, LF or a
// bare CR. An event still incomplete after `max_event_bytes` (an upstream that never sends
// the blank line, or one huge line) stops the relay: `overflowed()` turns true, the pending
// bytes are freed, and the caller ends the stream with an error. Not thread-safe.
#pragma once

#include "http/dialect_usage.hpp"
#include "messages/dialect.hpp"
#include "messages/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qg {

class SseRelay {
 public:
  static constexpr std::size_t kDefaultMaxEventBytes = 16 * 1024 * 1024;
  explicit SseRelay(bool drop_usage_chunk, Dialect dialect = Dialect::chat,
                    std::size_t max_event_bytes = kDefaultMaxEventBytes)
      : drop_usage_chunk_(drop_usage_chunk && dialect == Dialect::chat), max_event_bytes_(max_event_bytes),
        dialect_(dialect), meter_(dialect) {}

  // Feed upstream bytes; complete events to forward are appended to `out`. Once overflowed,
  // further bytes are ignored.
  void feed(std::string_view bytes, std::string& out);
  // End of upstream: a trailing event without its blank line is forwarded as is.
  void finish(std::string& out);

  // The final usage reported (chat: the last usage chunk).
  std::optional<Usage> usage() const { return dialect_ == Dialect::chat ? usage_ : meter_.final_usage(); }
  // The dialect's end of stream arrived (chat: `data: [DONE]`).
  bool saw_done() const { return dialect_ == Dialect::chat ? saw_done_ : meter_.complete(); }
  bool overflowed() const { return overflowed_; }                // an event exceeded the bound
  bool usage_out_of_range() const {  // a usage report was refused
    return dialect_ == Dialect::chat ? usage_out_of_range_ : meter_.usage_out_of_range();
  }
  std::size_t pending_bytes() const { return pending_.size(); }
  // Usage to commit when usage() is empty (see StreamUsageMeter::estimate).
  Usage estimate(std::int64_t reserved_input) const;
  bool upstream_error_event() const { return meter_.error_event(); }  // non-chat dialects
  Dialect dialect() const { return dialect_; }
  const std::string& response_id() const { return meter_.response_id(); }  // responses dialect
  std::int64_t content_bytes() const { return dialect_ == Dialect::chat ? content_bytes_ : meter_.content_bytes(); }
  std::int64_t bytes_in() const { return bytes_in_; }
  std::int64_t bytes_out() const { return bytes_out_; }
  std::int64_t events() const { return events_; }

 private:
  void handle_event(std::string_view event, std::string& out);

  bool drop_usage_chunk_;
  std::size_t max_event_bytes_;
  Dialect dialect_;
  StreamUsageMeter meter_;
  std::string pending_;
  std::size_t scan_from_ = 0;
  bool line_has_text_ = false;      // the current line has bytes before its terminator
  bool overflowed_ = false;
  bool usage_out_of_range_ = false;
  std::optional<Usage> usage_;
  bool saw_done_ = false;
  std::int64_t content_bytes_ = 0, bytes_in_ = 0, bytes_out_ = 0, events_ = 0;
};

// What one JSON response or chunk says: its usage (OpenAI shape: prompt_tokens,
// completion_tokens) if any, whether it is a usage-only chunk (choices empty), and the
// bytes of generated text (choices[].message.content / delta.content / text).
struct ChunkInfo {
  std::optional<Usage> usage;
  bool usage_only = false;
  std::int64_t content_bytes = 0;
  bool valid_json = false;
  bool usage_out_of_range = false;  // a usage object with numbers outside [0, kMaxUsagePerRequest]
};
ChunkInfo inspect_completion_json(std::string_view json);

// The SSE event that ends a stream after an upstream failure: an OpenAI-shaped error.
std::string sse_error_event(std::string_view message, std::string_view code);

}  // namespace qg
