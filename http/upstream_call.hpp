// http/upstream_call.hpp — one HTTP call to an upstream provider, plain or streamed.
//
// Plain calls run on the calling thread with a per-thread keep-alive client per upstream
// host (tcp_nodelay). Streamed calls run the upstream read on a helper thread (with a
// keep-alive client from a shared per-upstream pool, returned after a complete response)
// that hands the body over through a bounded queue, so the HTTP handler can learn the upstream status
// and first bytes (and fail over) before it commits its own response; `cancel()` stops the
// upstream read at once (client gone, idle timeout). httplib stays inside the .cpp.
#pragma once

#include "messages/proxy_backend.hpp"
#include "http/ratelimit_parsers.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace qg {

struct UpstreamTarget {
  std::string scheme_host_port;  // "http://127.0.0.1:8317"
  std::string path;              // "/v1/chat/completions"
  std::string provider;          // openai | anthropic | gemini | cliproxy (decides the auth header)
  std::string api_key;           // never logged
  std::string method = "POST";   // GET/DELETE: no body (Responses {id} routes, model lists)
  HeaderList extra_headers;      // client headers passed through (anthropic-version, -beta)
};

// base_url ("http://host:port/v1", a base without a path gets "/v1") + endpoint path.
// nullopt-like empty scheme_host_port when base_url is not http(s).
UpstreamTarget make_upstream_target(const std::string& base_url, const std::string& endpoint_path,
                                    const std::string& provider, const std::string& api_key);

struct UpstreamTimeouts {
  std::int64_t connect_ms = 5000;
  std::int64_t first_byte_ms = 120000;  // until response headers + first body bytes
  std::int64_t idle_ms = 60000;         // between stream chunks
  // Plain calls only: the whole response must arrive within total_ms (proxy.request_timeout,
  // what is left of it for a later attempt) and within max_body_bytes (proxy.max_response_bytes);
  // past either the call is abandoned (timeout / server_error, with a detail saying which).
  std::int64_t total_ms = 600000;
  std::size_t max_body_bytes = 64u << 20;
  std::int64_t request_timeout_ms = 600000;  // the configured deadline, for the error text
};

// Result of a call up to the point the proxy decides: a response (any status) or a failure.
struct UpstreamReply {
  int status = 0;                      // 0 = no response (see failure)
  int cut_status = 0;                  // status 0: the head's status of an answer this side cut
                                       // short (past max_body_bytes or the deadline), else 0
  HeaderList headers;
  std::string body;                    // full body (plain calls, and error statuses of streams)
  OutcomeKind failure = OutcomeKind::success;  // timeout | connect_error when status == 0
  std::string detail;                  // short text, no secrets
  std::int64_t latency_ms = 0;
};

UpstreamReply call_upstream_plain(const UpstreamTarget& target, const std::string& body,
                                  const UpstreamTimeouts& timeouts);

class UpstreamStream {
 public:
  enum class Next { data, waiting, end, failed };
  struct State;

  // Starts the call on a helper thread.
  UpstreamStream(const UpstreamTarget& target, std::string body, const UpstreamTimeouts& timeouts);
  ~UpstreamStream();  // cancels the call if still running
  UpstreamStream(const UpstreamStream&) = delete;
  UpstreamStream& operator=(const UpstreamStream&) = delete;

  // Waits for response headers and, on 2xx, the first body bytes (or the end), at most
  // first_byte_ms. A 2xx reply with data comes back with status set and an empty body; the
  // data is then read with next(). Error statuses come back with their full body.
  UpstreamReply open();
  // Moves buffered body bytes into `out` (Next::data), or waits up to `slice` for them
  // (Next::waiting). Next::end after the upstream finished cleanly, Next::failed after a
  // read error or cancel (see failure_detail()).
  Next next(std::string& out, std::chrono::milliseconds slice);
  void cancel();
  // The body bytes received so far and not yet taken by next() (a copy).
  std::string peek() const;
  std::string failure_detail() const;
  OutcomeKind failure_kind() const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace qg
