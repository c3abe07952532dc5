// http/sse_relay.cpp — see sse_relay.hpp.
#include "http/sse_relay.hpp"
#include "messages/usage_range.hpp"

#include "http/request_parser.hpp"

#include "messages/token_estimate.hpp"

#include "http/json_parsers.hpp"

#include <simdjson.h>

namespace qg {
namespace {

// Collects the `data:` field of an SSE event (multi-line data joined by '\n') and its
// `event:` name. Lines end in CRLF, LF or a bare CR (the SSE grammar allows all three).
std::string event_data(std::string_view event, bool& has_data, std::string* name = nullptr) {
  std::string data;
  has_data = false;
  std::size_t pos = 0;
  while (pos < event.size()) {
    std::size_t end = event.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = event.size();
    std::string_view line = event.substr(pos, end - pos);
    if (name && line.starts_with("event:")) {
      line.remove_prefix(6);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      *name = std::string(line);
    } else if (line.starts_with("data:")) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (has_data) data += '\n';
      data.append(line);
      has_data = true;
    }
    pos = end + (end + 1 < event.size() && event[end] == '\r' && event[end + 1] == '\n' ? 2 : 1);
  }
  return data;
}

}  // namespace

ChunkInfo inspect_completion_json(std::string_view json) {
  ChunkInfo info;
  // Cached per thread for ordinary chunks; large bodies get a parser freed on return, so no
  // worker keeps megabytes of parser buffers after one large answer.
  thread_local simdjson::dom::parser cached = bounded_dom_parser();
  std::optional<simdjson::dom::parser> large;
  simdjson::dom::parser& parser = json.size() <= 256 * 1024 ? cached : large.emplace();
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) return info;
  info.valid_json = true;
  simdjson::dom::object usage;
  if (doc["usage"].get_object().get(usage) == simdjson::SUCCESS) {
    Usage u;
    u.requests = 1;
    std::int64_t prompt = 0, completion = 0;
    bool has_prompt = usage["prompt_tokens"].get_int64().get(prompt) == simdjson::SUCCESS;
    bool has_completion = usage["completion_tokens"].get_int64().get(completion) == simdjson::SUCCESS;
    if (!has_prompt) has_prompt = usage["input_tokens"].get_int64().get(prompt) == simdjson::SUCCESS;
    if (!has_completion) has_completion = usage["output_tokens"].get_int64().get(completion) == simdjson::SUCCESS;
    if (has_prompt || has_completion) {
      u.input_tokens = prompt;
      u.output_tokens = completion;
      // Negative or absurd numbers are not usage: treated as missing (the estimate is
      // committed instead) and flagged so the caller can log them.
      if (usage_in_range(u)) info.usage = u;
      else info.usage_out_of_range = true;
    }
  }
  simdjson::dom::array choices;
  if (doc["choices"].get_array().get(choices) == simdjson::SUCCESS) {
    info.usage_only = info.usage.has_value() && choices.size() == 0;
    for (simdjson::dom::element choice : choices) {
      std::string_view text;
      if (choice["delta"]["content"].get_string().get(text) == simdjson::SUCCESS ||
          choice["message"]["content"].get_string().get(text) == simdjson::SUCCESS ||
          choice["text"].get_string().get(text) == simdjson::SUCCESS)
        info.content_bytes += static_cast<std::int64_t>(text.size());
    }
  }
  return info;
}

void SseRelay::feed(std::string_view bytes, std::string& out) {
  bytes_in_ += static_cast<std::int64_t>(bytes.size());
  if (overflowed_) return;
  pending_.append(bytes);
  std::size_t event_start = 0;
  std::size_t i = scan_from_;
  while (i < pending_.size()) {
    const char c = pending_[i];
    if (c != '\n' && c != '\r') {
      line_has_text_ = true;
      ++i;
      continue;
    }
    std::size_t terminator = 1;
    if (c == '\r') {
      if (i + 1 >= pending_.size()) break;  // CR LF may be split across reads: wait
      if (pending_[i + 1] == '\n') terminator = 2;
    }
    i += terminator;
    if (line_has_text_) {
      line_has_text_ = false;
      continue;
    }
    // A blank line ends the event.
    handle_event(std::string_view(pending_).substr(event_start, i - event_start), out);
    event_start = i;
  }
  scan_from_ = i - event_start;
  if (event_start > 0) pending_.erase(0, event_start);
  if (pending_.size() > max_event_bytes_) {
    overflowed_ = true;
    std::string().swap(pending_);  // give the memory back now, not when the stream ends
    scan_from_ = 0;
  }
}

void SseRelay::finish(std::string& out) {
  if (pending_.empty() || overflowed_) return;
  std::string rest;
  rest.swap(pending_);
  scan_from_ = 0;
  handle_event(rest, out);
}

Usage SseRelay::estimate(std::int64_t reserved_input) const {
  if (dialect_ != Dialect::chat) return meter_.estimate(reserved_input);
  return Usage{1, reserved_input, tokens_from_bytes(content_bytes_)};
}

void SseRelay::handle_event(std::string_view event, std::string& out) {
  ++events_;
  bool has_data = false;
  if (dialect_ != Dialect::chat) {
    std::string name;
    std::string data = event_data(event, has_data, &name);
    if (has_data) meter_.on_event(name, data);
    out.append(event);
    bytes_out_ += static_cast<std::int64_t>(event.size());
    return;
  }
  std::string data = event_data(event, has_data);
  if (has_data) {
    if (data == "[DONE]") {
      saw_done_ = true;
    } else {
      ChunkInfo info = inspect_completion_json(data);
      content_bytes_ += info.content_bytes;
      if (info.usage_out_of_range) usage_out_of_range_ = true;
      if (info.usage) usage_ = info.usage;
      if (drop_usage_chunk_ && info.usage_only) return;
    }
  }
  out.append(event);
  bytes_out_ += static_cast<std::int64_t>(event.size());
}

std::string sse_error_event(std::string_view message, std::string_view code) {
  return "data: {\"error\":{\"message\":" + json_quote(message) +
         ",\"type\":\"upstream_error\",\"code\":" + json_quote(code) + "}}\n\n";
}

}  // namespace qg
