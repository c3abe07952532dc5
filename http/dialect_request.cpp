// http/dialect_request.cpp — see dialect_request.hpp.
#include "http/dialect_request.hpp"

#include "http/json_parsers.hpp"
#include "http/request_json_values.hpp"

#include <simdjson.h>

#include <algorithm>

namespace qg {
namespace od = simdjson::ondemand;

namespace {

using request_json::add_value_bytes;
using request_json::is_null;
using request_json::read_count;
using request_json::trim_right;

DialectParseResult fail(std::string message, std::string param = "") {
  DialectParseResult r;
  r.error = std::move(message);
  r.param = std::move(param);
  return r;
}

// generationConfig.maxOutputTokens (Gemini); other fields skipped.
bool gemini_generation_config(od::value v, std::int64_t& max_tokens) {
  od::object cfg;
  if (v.get_object().get(cfg)) return false;
  for (auto field : cfg) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key != "maxOutputTokens") continue;
    od::value n;
    if (field.value().get(n)) return false;
    if (is_null(n)) continue;
    if (!read_count(n, max_tokens)) return false;
  }
  return true;
}

}  // namespace

DialectParseResult parse_dialect_request(Dialect dialect, std::string_view body) {
  static const std::string kBadJson = "We could not parse the JSON body of your request.";
  thread_local od::parser parser = bounded_ondemand_parser();
  simdjson::padded_string padded(body);
  const char* base = padded.data();
  od::document doc;
  if (parser.iterate(padded).get(doc)) return fail(kBadJson);
  od::object root;
  if (doc.get_object().get(root)) return fail("The request body must be a JSON object.");

  DialectRequest out;
  ParsedRequest& r = out.base;
  const bool gemini = dialect == Dialect::gemini;
  const std::string_view max_field = dialect == Dialect::messages    ? "max_tokens"
                                     : dialect == Dialect::responses ? "max_output_tokens"
                                                                     : "";
  bool has_model = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail(kBadJson);
    const std::string k(key);
    od::value v;
    if (field.value().get(v)) return fail(kBadJson);
    if (!gemini && k == "model") {
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
    } else if (!gemini && k == "stream") {
      if (!is_null(v) && v.get_bool().get(r.stream)) return fail("'stream' must be a boolean.", "stream");
    } else if (!gemini && k == max_field) {
      if (is_null(v)) continue;
      if (!read_count(v, r.max_tokens))
        return fail("'" + k + "' must be an integer between 0 and " + std::to_string(kMaxRequestTokens) + ".", k);
    } else if (dialect == Dialect::responses && k == "previous_response_id") {
      if (is_null(v)) continue;
      std::string_view id;
      if (v.get_string().get(id)) return fail("'previous_response_id' must be a string.", k);
      out.previous_response_id = std::string(id);
    } else if (gemini && k == "generationConfig") {
      if (!gemini_generation_config(v, r.max_tokens))
        return fail("generationConfig.maxOutputTokens must be an integer between 0 and " +
                        std::to_string(kMaxRequestTokens) + ".", "generationConfig");
    } else if ((dialect == Dialect::messages && (k == "messages" || k == "system")) ||
               (dialect == Dialect::responses && (k == "input" || k == "instructions")) ||
               (gemini && (k == "contents" || k == "systemInstruction")) || k == "tools") {
      if (!add_value_bytes(v, r.prompt_bytes)) return fail(kBadJson);
    }
  }
  const char* location = nullptr;
  if (doc.current_location().get(location) == simdjson::SUCCESS) return fail(kBadJson);
  if (!gemini && !has_model) return fail("You must provide a model parameter.", "model");
  std::string_view trimmed = trim_right(body);
  if (trimmed.empty() || trimmed.back() != '}') return fail(kBadJson);
  DialectParseResult result;
  result.request = std::move(out);
  return result;
}

bool split_gemini_target(std::string_view tail, std::string& model, std::string& action) {
  const std::size_t colon = tail.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= tail.size()) return false;
  model = std::string(tail.substr(0, colon));
  action = std::string(tail.substr(colon + 1));
  return !has_control_character(model);
}

bool gemini_model_path_ok(std::string_view model) {
  std::size_t segment = 0;  // where the current segment starts
  for (std::size_t i = 0; i <= model.size(); ++i) {
    if (i == model.size() || model[i] == '/') {
      const std::string_view s = model.substr(segment, i - segment);
      if (s.empty() || s == "." || s == "..") return false;
      segment = i + 1;
      continue;
    }
    const char c = model[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~' || c == '@' || c == ':' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace qg
