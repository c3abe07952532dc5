// http/dialect_errors.cpp — see dialect_errors.hpp.
#include "http/dialect_errors.hpp"

#include "http/openai_errors.hpp"
#include "http/request_parser.hpp"
#include "http/sse_relay.hpp"

namespace qg {

const char* anthropic_error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

const char* google_error_status(int status) {
  switch (status) {
    case 400: case 413: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 429: return "RESOURCE_EXHAUSTED";
    case 500: return "INTERNAL";
    case 504: return "DEADLINE_EXCEEDED";
    default: return status >= 500 ? "UNAVAILABLE" : "FAILED_PRECONDITION";
  }
}

namespace {

std::string anthropic_json(int status, std::string_view message) {
  return "{\"type\":\"error\",\"error\":{\"type\":" + json_quote(anthropic_error_type(status)) +
         ",\"message\":" + json_quote(message) + "}}";
}

std::string google_json(int status, std::string_view message) {
  return "{\"error\":{\"code\":" + std::to_string(status) + ",\"message\":" + json_quote(message) +
         ",\"status\":" + json_quote(google_error_status(status)) + "}}";
}

}  // namespace

std::string dialect_error_body(Dialect dialect, int status, std::string_view message, std::string_view code,
                               std::string_view param) {
  switch (dialect) {
    case Dialect::messages: return anthropic_json(status, message);
    case Dialect::gemini: return google_json(status, message);
    case Dialect::chat:
    case Dialect::responses: break;
  }
  return openai_error_json(message, openai_error_type(status), code, param);
}

std::string dialect_sse_error(Dialect dialect, int status, std::string_view message, std::string_view code) {
  switch (dialect) {
    case Dialect::messages: return "event: error\ndata: " + anthropic_json(status, message) + "\n\n";
    case Dialect::gemini: return "data: " + google_json(status, message) + "\n\n";
    case Dialect::responses:
      return "event: error\ndata: {\"type\":\"error\",\"code\":" + json_quote(code) + ",\"message\":" +
             json_quote(message) + ",\"param\":null}\n\n";
    case Dialect::chat: break;
  }
  return sse_error_event(message, code);
}

}  // namespace qg
