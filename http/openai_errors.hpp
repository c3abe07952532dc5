// http/openai_errors.hpp — OpenAI-shaped error bodies (INTERFACE §4).
//
// `{"error":{"message":...,"type":...,"code":...,"param":...}}`, the shape the OpenAI SDKs
// turn into their typed errors. Messages never carry secrets: callers pass fixed text, model
// names and account ids only.
#pragma once

#include <string>
#include <string_view>

namespace qg {

std::string openai_error_json(std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param = {});

// The OpenAI error `type` conventionally used with an HTTP status.
const char* openai_error_type(int http_status);

}  // namespace qg
