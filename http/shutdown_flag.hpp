// http/shutdown_flag.hpp — tells long-running responses that the daemon's drain time is over.
//
// On SIGTERM the daemon stops accepting and lets in-flight requests finish for up to
// SHUTDOWN_TIMEOUT; then it raises this flag and every SSE relay still running ends its stream
// with an error event, cancels the upstream call and commits what was consumed (estimated),
// so the process can flush the journal, write a snapshot and exit 0.
#pragma once

#include <cstdint>

namespace qg {

void request_stream_shutdown();
bool stream_shutdown_requested();

// Proxied requests not finished yet (a stream counts until its last byte and its commit).
// The daemon waits for this to reach 0 before it stops the HTTP listener, because httplib
// abandons chunked responses that have not started writing once the listener is stopped.
class InflightRequest {
 public:
  InflightRequest();
  ~InflightRequest();
  InflightRequest(const InflightRequest&) = delete;
  InflightRequest& operator=(const InflightRequest&) = delete;
};
std::int64_t inflight_requests();

}  // namespace qg
