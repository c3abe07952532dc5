// http/request_parser.cpp — see request_parser.hpp.
#include "http/request_parser.hpp"
#include "messages/json_depth.hpp"
#include "messages/saturating.hpp"

#include "http/json_parsers.hpp"
#include "http/request_json_values.hpp"

#include <simdjson.h>

#include <algorithm>
#include <vector>

namespace qg {
namespace od = simdjson::ondemand;

namespace {

using request_json::add_value_bytes;
using request_json::read_count;
using request_json::trim_right;

constexpr std::size_t kCachedParserBytes = 256 * 1024;

RequestParseResult fail(std::string message, std::string param = "") {
  RequestParseResult r;
  r.error = std::move(message);
  r.param = std::move(param);
  return r;
}

// Chat messages: sum of content sizes.
bool message_bytes(od::value messages, std::int64_t& out) {
  od::array arr;
  if (messages.get_array().get(arr)) return false;
  for (auto item : arr) {
    od::object msg;
    if (item.get_object().get(msg)) return false;
    for (auto field : msg) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key != "content") continue;
      od::value content;
      if (field.value().get(content)) return false;
      if (!add_value_bytes(content, out)) return false;
    }
  }
  return true;
}


// stream_options: decide how to make include_usage true.
bool plan_usage_splice(od::value v, const char* base, ParsedRequest& r, std::optional<BodySplice>& splice) {
  std::string_view token = v.raw_json_token();
  std::size_t at = static_cast<std::size_t>(token.data() - base);
  od::json_type type;
  if (v.type().get(type)) return false;
  if (type == od::json_type::null) {
    splice = BodySplice{at, trim_right(token).size(), R"({"include_usage":true})"};
    return true;
  }
  if (type != od::json_type::object) return false;
  od::object obj;
  if (v.get_object().get(obj)) return false;
  bool any_field = false;
  for (auto field : obj) {
    any_field = true;
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key != "include_usage") continue;
    od::value flag;
    if (field.value().get(flag)) return false;
    std::string_view flag_token = flag.raw_json_token();
    bool value = false;
    if (flag.get_bool().get(value)) return false;
    if (value) {
      r.include_usage = true;
      splice.reset();
      return true;
    }
    splice = BodySplice{static_cast<std::size_t>(flag_token.data() - base), trim_right(flag_token).size(), "true"};
    return true;
  }
  splice = BodySplice{at + 1, 0, any_field ? R"("include_usage":true,)" : R"("include_usage":true)"};
  return true;
}

}  // namespace

const char* endpoint_path(ApiEndpoint e) {
  switch (e) {
    case ApiEndpoint::chat_completions: return "/chat/completions";
    case ApiEndpoint::completions: return "/completions";
    case ApiEndpoint::embeddings: return "/embeddings";
  }
  return "/chat/completions";
}

RequestParseResult parse_request(ApiEndpoint endpoint, std::string_view body) {
  static const std::string kBadJson = "We could not parse the JSON body of your request.";
  if (json_too_deep(body)) return fail("The request body has " + json_depth_error() + ".");
  // A parser keeps buffers sized for the largest document it saw: one cached per thread for
  // ordinary bodies, a temporary one for large bodies (else every worker thread would keep
  // megabytes after one large request; issue 15 item 2).
  thread_local od::parser cached = bounded_ondemand_parser();
  std::optional<od::parser> large;
  od::parser& parser = body.size() <= kCachedParserBytes ? cached : large.emplace();
  simdjson::padded_string padded(body);
  const char* base = padded.data();
  od::document doc;
  if (parser.iterate(padded).get(doc)) return fail(kBadJson);
  od::object root;
  if (doc.get_object().get(root)) return fail("The request body must be a JSON object.");

  ParsedRequest r;
  bool has_model = false, has_stream_options = false;
  std::int64_t n = 1, max_tokens = 0, max_completion_tokens = 0;
  std::optional<BodySplice> usage_splice;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail(kBadJson);
    std::string k(key);
    od::value v;
    if (field.value().get(v)) return fail(kBadJson);
    if (k == "model") {
      std::string_view token = v.raw_json_token();
      std::string_view model;
      if (v.get_string().get(model) || model.empty() || has_control_character(model))
        return fail("'model' must be a non-empty string without control characters.", "model");
      if (model.size() > kMaxModelNameBytes)
        return fail("'model' must be at most " + std::to_string(kMaxModelNameBytes) + " bytes.", "model");
      r.model = std::string(model);
      r.model_begin = static_cast<std::size_t>(token.data() - base);
      r.model_end = r.model_begin + trim_right(token).size();
      has_model = true;
    } else if (k == "stream") {
      od::json_type type;
      if (v.type().get(type)) return fail(kBadJson);
      if (type != od::json_type::null && v.get_bool().get(r.stream))
        return fail("'stream' must be a boolean.", "stream");
    } else if (k == "stream_options") {
      has_stream_options = true;
      if (!plan_usage_splice(v, base, r, usage_splice))
        return fail("'stream_options' must be an object with a boolean 'include_usage'.", "stream_options");
    } else if (k == "max_tokens" || k == "max_completion_tokens") {
      od::json_type type;
      if (v.type().get(type)) return fail(kBadJson);
      if (type == od::json_type::null) continue;
      std::int64_t& out = k == "max_tokens" ? max_tokens : max_completion_tokens;
      if (!read_count(v, out) || out > kMaxRequestTokens)
        return fail("'" + k + "' must be an integer between 0 and " + std::to_string(kMaxRequestTokens) + ".", k);
    } else if (k == "n") {
      od::json_type type;
      if (v.type().get(type)) return fail(kBadJson);
      if (type != od::json_type::null && (!read_count(v, n) || n < 1 || n > kMaxChoices))
        return fail("'n' must be an integer between 1 and " + std::to_string(kMaxChoices) + ".", "n");
    } else if (k == "messages" && endpoint == ApiEndpoint::chat_completions) {
      if (!message_bytes(v, r.prompt_bytes)) return fail("'messages' must be an array of message objects.", "messages");
    } else if ((k == "prompt" && endpoint == ApiEndpoint::completions) ||
               (k == "input" && endpoint == ApiEndpoint::embeddings) || k == "tools" || k == "functions") {
      if (!add_value_bytes(v, r.prompt_bytes)) return fail(kBadJson);
    }
  }
  // After the root object nothing but whitespace may follow.
  const char* location = nullptr;
  if (doc.current_location().get(location) == simdjson::SUCCESS) return fail(kBadJson);
  if (!has_model) return fail("You must provide a model parameter.", "model");
  std::string_view trimmed = trim_right(body);
  if (trimmed.empty() || trimmed.back() != '}') return fail(kBadJson);
  if (r.stream && endpoint == ApiEndpoint::embeddings)
    return fail("'stream' is not supported for embeddings.", "stream");
  r.max_tokens = std::min(sat_mul(std::max(max_tokens, max_completion_tokens), n), kMaxRequestTokens);
  if (r.stream && !r.include_usage) {
    if (!has_stream_options)
      usage_splice = BodySplice{trimmed.size() - 1, 0, R"(,"stream_options":{"include_usage":true})"};
    r.usage_splice = usage_splice;
  }
  RequestParseResult result;
  result.request = std::move(r);
  return result;
}

std::string rewrite_request_body(std::string_view body, const ParsedRequest& r,
                                 std::string_view upstream_model, bool add_include_usage) {
  std::vector<BodySplice> splices;
  if (upstream_model != r.model) splices.push_back({r.model_begin, r.model_end - r.model_begin, json_quote(upstream_model)});
  if (add_include_usage && r.usage_splice) splices.push_back(*r.usage_splice);
  std::sort(splices.begin(), splices.end(), [](const BodySplice& a, const BodySplice& b) { return a.at < b.at; });
  std::string out;
  out.reserve(body.size() + 64);
  std::size_t pos = 0;
  for (const auto& s : splices) {
    out.append(body.substr(pos, s.at - pos));
    out += s.text;
    pos = s.at + s.erase;
  }
  out.append(body.substr(pos));
  return out;
}

}  // namespace qg
