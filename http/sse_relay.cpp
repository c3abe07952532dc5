// http/sse_relay.cpp — see sse_relay.hpp.
#include "http/sse_relay.hpp"

#include "http/request_parser.hpp"

#include <simdjson.h>

namespace qg {
namespace {

// Collects the `data:` field of an SSE event (multi-line data joined by '\n').
std::string event_data(std::string_view event, bool& has_data) {
  std::string data;
  has_data = false;
  std::size_t pos = 0;
  while (pos < event.size()) {
    std::size_t end = event.find('\n', pos);
    if (end == std::string_view::npos) end = event.size();
    std::string_view line = event.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("data:")) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (has_data) data += '\n';
      data.append(line);
      has_data = true;
    }
    pos = end + 1;
  }
  return data;
}

}  // namespace

ChunkInfo inspect_completion_json(std::string_view json) {
  ChunkInfo info;
  thread_local simdjson::dom::parser parser;
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
      info.usage = u;
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
  pending_.append(bytes);
  std::size_t event_start = 0;
  std::size_t i = scan_from_;
  while (true) {
    std::size_t nl = pending_.find('\n', i);
    if (nl == std::string::npos || nl + 1 >= pending_.size()) {
      scan_from_ = nl == std::string::npos ? pending_.size() : nl;
      break;
    }
    std::size_t end = 0;
    if (pending_[nl + 1] == '\n') end = nl + 2;
    else if (pending_[nl + 1] == '\r') {
      if (nl + 2 >= pending_.size()) { scan_from_ = nl; break; }
      if (pending_[nl + 2] == '\n') end = nl + 3;
    }
    if (end == 0) { i = nl + 1; continue; }
    handle_event(std::string_view(pending_).substr(event_start, end - event_start), out);
    event_start = end;
    i = end;
  }
  if (event_start > 0) {
    pending_.erase(0, event_start);
    scan_from_ = scan_from_ >= event_start ? scan_from_ - event_start : 0;
  }
}

void SseRelay::finish(std::string& out) {
  if (pending_.empty()) return;
  std::string rest;
  rest.swap(pending_);
  scan_from_ = 0;
  handle_event(rest, out);
}

void SseRelay::handle_event(std::string_view event, std::string& out) {
  ++events_;
  bool has_data = false;
  std::string data = event_data(event, has_data);
  if (has_data) {
    if (data == "[DONE]") {
      saw_done_ = true;
    } else {
      ChunkInfo info = inspect_completion_json(data);
      content_bytes_ += info.content_bytes;
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
