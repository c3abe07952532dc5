// tests/fakes/fake_dialects.cpp — see fake_dialects.hpp.
#include "tests/fakes/fake_dialects.hpp"

namespace qg::fake {
namespace {

using json = nlohmann::json;

std::int64_t strings_bytes(const json& v) {
  if (v.is_string()) return static_cast<std::int64_t>(v.get_ref<const std::string&>().size());
  std::int64_t n = 0;
  if (v.is_array())
    for (const auto& item : v) n += strings_bytes(item);
  if (v.is_object())
    for (const auto& [k, item] : v.items())
      if (k == "text" || k == "content" || k == "parts" || k == "input") n += strings_bytes(item);
  return n;
}

std::string frame(const std::string& event, const json& data) {
  return (event.empty() ? "" : "event: " + event + "\n") + "data: " + data.dump() + "\n\n";
}

std::vector<std::string> pieces(const Turn& t) {
  std::vector<std::string> out;
  const std::size_t n = static_cast<std::size_t>(std::max(1, t.chunks));
  const std::size_t step = t.text.size() / n;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(i + 1 == n ? t.text.substr(step * i) : t.text.substr(step * i, step));
  return out;
}

json anthropic_usage(const Turn& t, std::int64_t output) {
  return {{"input_tokens", t.prompt}, {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", 0},
          {"output_tokens", output}, {"service_tier", "standard"}};
}

json responses_object(const Turn& t, const std::string& status, bool with_output) {
  json output = json::array();
  if (with_output)
    output.push_back({{"id", "msg_" + t.id}, {"type", "message"}, {"status", "completed"}, {"role", "assistant"},
                      {"content", json::array({{{"type", "output_text"}, {"text", t.text}, {"annotations", json::array()}}})}});
  json usage = nullptr;
  if (status == "completed")
    usage = {{"input_tokens", t.prompt}, {"input_tokens_details", {{"cached_tokens", 0}}},
             {"output_tokens", t.completion}, {"output_tokens_details", {{"reasoning_tokens", 0}}},
             {"total_tokens", t.prompt + t.completion}};
  return {{"id", t.id}, {"object", "response"}, {"created_at", 1755684000}, {"status", status},
          {"error", nullptr}, {"incomplete_details", nullptr}, {"model", t.model}, {"output", output},
          {"parallel_tool_calls", true}, {"store", true}, {"usage", usage}, {"metadata", json::object()}};
}

json gemini_chunk(const Turn& t, const std::string& text, std::int64_t candidates, bool last) {
  json candidate = {{"content", {{"parts", json::array({{{"text", text}}})}, {"role", "model"}}}, {"index", 0}};
  if (last) candidate["finishReason"] = "STOP";
  return {{"candidates", json::array({candidate})},
          {"usageMetadata", {{"promptTokenCount", t.prompt}, {"candidatesTokenCount", candidates},
                             {"totalTokenCount", t.prompt + candidates}}},
          {"modelVersion", t.model}, {"responseId", t.id}};
}

}  // namespace

std::int64_t dialect_prompt_bytes(Wire wire, const json& body) {
  std::int64_t n = 0;
  auto add = [&](const char* key) {
    if (body.contains(key)) n += strings_bytes(body[key]);
  };
  if (wire == Wire::messages) { add("messages"); add("system"); }
  if (wire == Wire::responses) { add("input"); add("instructions"); }
  if (wire == Wire::gemini) { add("contents"); add("systemInstruction"); }
  return n;
}

std::int64_t dialect_max_tokens(Wire wire, const json& body) {
  const json* v = nullptr;
  if (wire == Wire::messages && body.contains("max_tokens")) v = &body["max_tokens"];
  if (wire == Wire::responses && body.contains("max_output_tokens")) v = &body["max_output_tokens"];
  if (wire == Wire::gemini && body.contains("generationConfig") && body["generationConfig"].is_object() &&
      body["generationConfig"].contains("maxOutputTokens"))
    v = &body["generationConfig"]["maxOutputTokens"];
  return v && v->is_number_integer() ? v->get<std::int64_t>() : -1;
}

std::string plain_reply(Wire wire, const Turn& t) {
  switch (wire) {
    case Wire::messages:
      return json{{"id", t.id}, {"type", "message"}, {"role", "assistant"}, {"model", t.model},
                  {"content", json::array({{{"type", "text"}, {"text", t.text}}})},
                  {"stop_reason", "end_turn"}, {"stop_sequence", nullptr}, {"usage", anthropic_usage(t, t.completion)}}
          .dump();
    case Wire::responses: return responses_object(t, "completed", true).dump();
    case Wire::gemini: return gemini_chunk(t, t.text, t.completion, true).dump();
  }
  return "{}";
}

std::vector<std::string> stream_frames(Wire wire, const Turn& t) {
  std::vector<std::string> out;
  const auto parts = pieces(t);
  if (wire == Wire::messages) {
    json start = {{"id", t.id}, {"type", "message"}, {"role", "assistant"}, {"model", t.model},
                  {"content", json::array()}, {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                  {"usage", anthropic_usage(t, 1)}};
    out.push_back(frame("message_start", {{"type", "message_start"}, {"message", start}}));
    out.push_back(frame("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                                {"content_block", {{"type", "text"}, {"text", ""}}}}));
    out.push_back(frame("ping", {{"type", "ping"}}));
    for (const auto& p : parts)
      out.push_back(frame("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                                  {"delta", {{"type", "text_delta"}, {"text", p}}}}));
    out.push_back(frame("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
    out.push_back(frame("message_delta", {{"type", "message_delta"},
                                          {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                                          {"usage", anthropic_usage(t, t.completion)}}));
    out.push_back(frame("message_stop", {{"type", "message_stop"}}));
  } else if (wire == Wire::responses) {
    int seq = 0;
    auto ev = [&](const std::string& type, json data) {
      data["type"] = type;
      data["sequence_number"] = seq++;
      out.push_back(frame(type, data));
    };
    const std::string item = "msg_" + t.id;
    ev("response.created", {{"response", responses_object(t, "in_progress", false)}});
    ev("response.in_progress", {{"response", responses_object(t, "in_progress", false)}});
    ev("response.output_item.added", {{"output_index", 0}, {"item", {{"id", item}, {"type", "message"}, {"status", "in_progress"},
                                                                     {"role", "assistant"}, {"content", json::array()}}}});
    ev("response.content_part.added", {{"item_id", item}, {"output_index", 0}, {"content_index", 0},
                                       {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}});
    for (const auto& p : parts)
      ev("response.output_text.delta", {{"item_id", item}, {"output_index", 0}, {"content_index", 0}, {"delta", p}, {"logprobs", json::array()}});
    ev("response.output_text.done", {{"item_id", item}, {"output_index", 0}, {"content_index", 0}, {"text", t.text}, {"logprobs", json::array()}});
    ev("response.content_part.done", {{"item_id", item}, {"output_index", 0}, {"content_index", 0},
                                      {"part", {{"type", "output_text"}, {"text", t.text}, {"annotations", json::array()}}}});
    json done_item = responses_object(t, "completed", true)["output"][0];
    ev("response.output_item.done", {{"output_index", 0}, {"item", done_item}});
    ev("response.completed", {{"response", responses_object(t, "completed", true)}});
  } else {
    std::int64_t sent = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const bool last = i + 1 == parts.size();
      sent = last ? t.completion : t.completion * static_cast<std::int64_t>(i + 1) / static_cast<std::int64_t>(parts.size());
      out.push_back("data: " + gemini_chunk(t, parts[i], sent, last).dump() + "\r\n\r\n");
    }
  }
  return out;
}

std::size_t final_usage_frame(Wire wire, const std::vector<std::string>& frames) {
  if (frames.empty()) return 0;
  if (wire == Wire::messages) return frames.size() - 2;  // message_delta
  return frames.size() - 1;                              // response.completed / the STOP chunk
}

std::string error_body(Wire wire, int status, const std::string& message, int retry_after_s) {
  if (wire == Wire::messages) {
    std::string type = status == 429 ? "rate_limit_error" : status == 401 ? "authentication_error"
                     : status == 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error";
    return json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}, {"request_id", "req_fake"}}.dump();
  }
  if (wire == Wire::responses) {
    std::string type = status == 429 ? "tokens" : status == 401 ? "invalid_request_error"
                     : status >= 500 ? "server_error" : "invalid_request_error";
    std::string code = status == 429 ? "rate_limit_exceeded" : status == 401 ? "invalid_api_key"
                     : status >= 500 ? "server_error" : "invalid_request";
    return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}.dump();
  }
  std::string st = status == 429 ? "RESOURCE_EXHAUSTED" : status == 401 ? "UNAUTHENTICATED"
                 : status == 400 ? "INVALID_ARGUMENT" : status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  json e = {{"code", status}, {"message", message}, {"status", st}};
  if (status == 429)
    e["details"] = json::array({{{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                                 {"violations", json::array({{{"quotaMetric", "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
                                                              {"quotaId", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}}})}},
                                {{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                                 {"retryDelay", std::to_string(retry_after_s) + "s"}}});
  return json{{"error", e}}.dump();
}

}  // namespace qg::fake
