// http/openai_errors.cpp — see openai_errors.hpp.
#include "http/openai_errors.hpp"

#include "http/request_parser.hpp"

namespace qg {

std::string openai_error_json(std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param) {
  std::string out = "{\"error\":{\"message\":" + json_quote(message) + ",\"type\":" + json_quote(type) +
                    ",\"code\":" + (code.empty() ? std::string("null") : json_quote(code)) +
                    ",\"param\":" + (param.empty() ? std::string("null") : json_quote(param)) + "}}";
  return out;
}

const char* openai_error_type(int status) {
  switch (status) {
    case 400: case 404: case 413: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 429: return "rate_limit_error";
    case 502: case 504: return "upstream_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace qg
