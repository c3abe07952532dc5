// http/upstream_call.hpp — one HTTP call to an upstream provider, plain or streamed.
//
// Both kinds run on the calling thread over a keep-alive connection from a shared per-upstream
// pool (http/upstream_connection.hpp, returned after a complete response), the response decoded
// as it arrives (http/http1_response.hpp; identity coding asked for). A plain call reads the
// whole response. A streamed call (http/upstream_stream.cpp) is read a slice at a time: the
// HTTP handler learns the upstream status and first bytes (and may fail over) before it
// commits its own response, and the same worker thread then relays the rest — one thread per
// stream, none waiting on another. `cancel()` closes the upstream connection (client gone,
// idle timeout). (Plain calls went through httplib's client until issue 17's fourth pass: its
// char-by-char head reader and case-insensitive header map cost ~1/5 of a request's CPU.)
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

// The headers every upstream request carries: the account's credential in the provider's
// header, the client headers passed through, and for streams `Accept: text/event-stream`.
HeaderList upstream_request_headers(const UpstreamTarget& target, bool stream);

UpstreamReply call_upstream_plain(const UpstreamTarget& target, const std::string& body,
                                  const UpstreamTimeouts& timeouts);

// A streamed call, driven by one thread at a time (the handler, then the relay).
class UpstreamStream {
 public:
  enum class Next { data, waiting, end, failed };
  struct State;

  // Nothing is sent before open().
  UpstreamStream(const UpstreamTarget& target, std::string body, const UpstreamTimeouts& timeouts);
  ~UpstreamStream();  // closes the connection unless it went back to the pool
  UpstreamStream(const UpstreamStream&) = delete;
  UpstreamStream& operator=(const UpstreamStream&) = delete;

  // Connects (or reuses a pooled connection), sends the request and waits for the response
  // headers and, on 2xx, the first body bytes (or the end), at most first_byte_ms. A 2xx reply
  // with data comes back with status set and an empty body; the data is then read with next().
  // Error statuses come back with their full body (up to 1 MiB).
  UpstreamReply open();
  // Moves received body bytes into `out` (Next::data), or waits up to `slice` for them
  // (Next::waiting). Next::end after the upstream finished cleanly, Next::failed after a
  // read error or cancel (see failure_detail()).
  Next next(std::string& out, std::chrono::milliseconds slice);
  void cancel();
  // The body bytes received so far and not yet taken by next() (a copy).
  std::string peek() const;
  std::string failure_detail() const;
  OutcomeKind failure_kind() const;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace qg
