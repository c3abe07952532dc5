// http/connection_loop.hpp — the listener's loop over one client connection, the same for plain
// HTTP (http/keep_alive_server.hpp) and HTTPS (http/keep_alive_ssl_server.hpp): wait for the
// next request in one poll on the socket and the stop event, at most max_requests requests,
// the keep-alive timeout, no new request once the server stops, httplib's process_request for
// each, and the end of the connection after an answer that said "Connection: close"
// (end_connection_after_answer), with a lingering close. keep_alive_server.hpp says why each.
// Included only by the two servers and http_server.cpp.
#pragma once

#include "http/connection_stream.hpp"

#include <atomic>
#include <cstddef>
#include <ctime>

namespace qg {

namespace connection_loop_detail {
// Set by end_connection_after_answer() while this thread writes a request's answer.
inline constinit thread_local bool answer_ends_connection = false;
}  // namespace connection_loop_detail

// The answer being written on this thread ends its connection. Called from a request's
// handlers (HttpServer's post-routing one); a no-op outside a connection loop.
inline void end_connection_after_answer() { connection_loop_detail::answer_ends_connection = true; }

// An eventfd that ends every wait for a next request once raised (wake), now and later.
class StopEvent {
 public:
  StopEvent();
  ~StopEvent();
  StopEvent(const StopEvent&) = delete;
  StopEvent& operator=(const StopEvent&) = delete;
  void raise() const;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// httplib's timeouts (seconds and microseconds) in milliseconds, as the loop and streams take them.
constexpr int timeout_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

struct ConnectionLimits {
  size_t max_requests;  // httplib's keep_alive_max_count
  int keep_alive_ms;    // the wait for a next request
  int stop_fd;          // StopEvent::fd()
};

enum class ConnectionEnd {
  close,   // close now: the client left or said close, a limit, the stop, a failed request
  linger,  // an answer said Connection: close while the client may still send: linger() first
};

struct ConnectionOutcome {
  bool ok;  // the last request's process_request succeeded (httplib's return value)
  ConnectionEnd end;
};

// Serves the requests of one connection. `listening`: the server's listening socket
// (INVALID_SOCKET once stopped); `process(stream, last, connection_closed)`: httplib's
// process_request for one request.
template <class Transport, class Process>
ConnectionOutcome serve_connection(ConnectionStream<Transport>& strm, const ConnectionLimits& limits,
                                   const std::atomic<socket_t>& listening, Process&& process) {
  using connection_loop_detail::answer_ends_connection;
  ConnectionOutcome out{false, ConnectionEnd::close};
  for (size_t left = limits.max_requests; left > 0 && listening != INVALID_SOCKET; --left) {
    if (!strm.wait_for_request(limits.stop_fd, limits.keep_alive_ms)) break;
    bool connection_closed = false;
    answer_ends_connection = false;
    out.ok = process(strm, left == 1, connection_closed);
    if (!strm.flush()) out.ok = false;  // a head held for a body that never came
    // An answer that said Connection: close ends the connection, whatever httplib decided: the
    // bytes still unread (a refused request's body) are never parsed as a next request.
    if (!out.ok || connection_closed) break;
    if (answer_ends_connection) {
      out.end = ConnectionEnd::linger;  // the request's body may still be coming: see linger()
      break;
    }
  }
  return out;
}

// Before closing a connection whose answer said Connection: close while the client may still
// send (a refused request's body): closing with unread bytes sends a reset, which can reach the
// client before it read the answer (a client still sending its body sees the send fail first).
// So, as nginx's lingering close: half-close (the client reads the answer, then the end), and
// discard what it still sends until it closes too — at most 1 MiB, 1 s, or the stop event.
// Over TLS the close_notify goes first; what follows is discarded as plain bytes.
void linger(int sock, int stop_fd);

}  // namespace qg
