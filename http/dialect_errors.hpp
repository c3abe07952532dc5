// http/dialect_errors.hpp — errors QuotaGuard itself answers, in the caller's dialect.
//
//   chat, responses  OpenAI: {"error":{"message","type","code","param"}} (openai_errors.hpp)
//   messages         Anthropic: {"type":"error","error":{"type","message"}} with the type from
//                    the status: 400 invalid_request_error, 401 authentication_error, 403
//                    permission_error, 404 not_found_error, 413 request_too_large, 429
//                    rate_limit_error, 504 timeout_error, 529 overloaded_error, other 5xx
//                    api_error
//   gemini           Google: {"error":{"code":<status>,"message","status"}} with the status
//                    name: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
//                    404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
//                    504 DEADLINE_EXCEEDED, other 5xx UNAVAILABLE
// After the first byte of a stream the status is gone; the error is an SSE event:
//   chat      data: {"error":{...}}                 (as before)
//   responses event: error / data: {"type":"error","code","message","param":null}
//   messages  event: error / data: {"type":"error","error":{"type","message"}}
//   gemini    data: {"error":{"code","message","status"}}
// `code` is QuotaGuard's machine code (quota_exhausted, upstream_timeout, ...): OpenAI's
// `code`; Anthropic and Google bodies have no such field, their type/status carries it.
// Messages never carry secrets.
#pragma once

#include "messages/dialect.hpp"

#include <string>
#include <string_view>

namespace qg {

std::string dialect_error_body(Dialect dialect, int http_status, std::string_view message,
                               std::string_view code, std::string_view param = {});

std::string dialect_sse_error(Dialect dialect, int http_status, std::string_view message, std::string_view code);

const char* anthropic_error_type(int http_status);
const char* google_error_status(int http_status);

}  // namespace qg
