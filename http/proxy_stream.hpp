// http/proxy_stream.hpp — relaying an opened upstream SSE stream to the client (internal to
// the proxy; used by proxy_routes.cpp).
//
// Runs in httplib's chunked content provider after the handler returned: upstream bytes go
// through SseRelay to the client; at the end (clean, upstream failure, idle timeout, or the
// client gone) the reservation is committed exactly once — with the reported usage, or an
// estimate from the relayed text — and the outcome reported. An upstream failure after the
// first byte ends the stream with an SSE error event in the client's dialect
// (http/dialect_errors.hpp); a client that went away cancels the upstream call. A stream that
// ends before its dialect's final usage event commits the estimate (estimated: true).
#pragma once

#include "http/access_log.hpp"
#include "messages/proxy_backend.hpp"
#include "http/upstream_call.hpp"
#include "messages/dialect.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Response;
}

namespace qg {

struct StreamAccounting {
  std::string account_id;
  std::string reservation_id;
  Usage estimate;                 // the reservation's estimate (input tokens reused if no usage)
  UpstreamOutcome opened;         // status, latency and signals of the response headers
  bool drop_usage_chunk = false;  // QuotaGuard injected include_usage: hide its chunk
  std::int64_t idle_timeout_ms = 60000;
  std::size_t max_sse_event_bytes = 16 * 1024 * 1024;  // proxy.max_sse_event_bytes
  std::optional<AccessLogEntry> access;  // the request's access-log line, written at the end
  Dialect dialect = Dialect::chat;  // usage reading, end-of-stream check and error events
  // Called once at the end with the Response id the stream announced (responses dialect).
  std::function<void(const std::string& response_id)> on_response_id;
};

void start_stream_response(httplib::Response& res, std::shared_ptr<ProxyBackend> backend,
                           std::shared_ptr<UpstreamStream> upstream, StreamAccounting accounting);

}  // namespace qg
