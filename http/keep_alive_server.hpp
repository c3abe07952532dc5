// http/keep_alive_server.hpp — httplib::Server whose connections wait for their next request in
// one blocking poll, not in httplib 0.11's poll-and-sleep loop.
//
// httplib 0.11 (Debian 12's, a compiled library: its macros cannot be changed) waits between two
// requests of a keep-alive connection in detail::keep_alive: poll the socket for 10 ms, and after
// each empty poll sleep 1 ms. So every idle keep-alive connection wakes its thread ~180 times a
// second (measured: 240 idle connections cost 26 % of a core), and a request that arrives during
// the sleep waits for its end (~1.1 ms; ~10 % of requests on a connection that idles between
// them — docs/PERFORMANCE.md, "Issue 17, third pass").
//
// This server replaces httplib's per-connection loop (process_and_close_socket, a virtual of
// httplib::Server that SSLServer overrides the same way) with the same steps: at most
// keep_alive_max_count requests, the keep-alive timeout, no new request once the server stops,
// process_request (httplib's, protected) for each request, then shutdown and close. The loop
// (http/connection_loop.hpp) and the connection's stream (http/connection_stream.hpp) are
// shared with the HTTPS listener (http/keep_alive_ssl_server.hpp), which runs them over a TLS
// session. What differs from httplib: the wait is one poll on the socket and on a stop event
// (wake_waiting), and one buffered stream serves the whole connection, so the bytes of a
// pipelined request are kept
// (httplib reads them into a per-request buffer and drops them) and the peer's address is read
// once. Reads, writes and their timeouts behave as httplib's SocketStream's, but for two things:
// httplib writes a response's head with one write and its body (or a stream's first chunk)
// with the next, and with TCP_NODELAY each write was a segment of its own, so the client woke
// for the head and again for the body. A 2xx head is now held and leaves with the next write
// (the body, or a stream's first relayed event: a proxied stream's handler returns only once
// the upstream sent body bytes, so a stream's head now leaves with its first complete event),
// or before the connection reads again, or when the request's processing ends (no body) — one
// segment per answer (docs/PERFORMANCE.md, "seventh pass"). And a read takes bytes already there
// before it polls (a request's first read: the wait above saw them), one poll fewer a request;
// an answer with a Content-Length (head and body, held together) is sent without the poll
// httplib makes before each write, which a stream's events keep ("eighth pass").
// And an answer that says "Connection: close" ends the connection after it (httplib's loop
// ends one only for the request's own Connection header): the daemon says it when a request's
// body stays unread (a refusal before the body, http_server.hpp), and those bytes must never be
// parsed as a next request (request smuggling). HttpServer's post-routing handler, which every
// answer passes just before httplib writes its head, decides it once from the answer's own
// Connection header and says so with end_connection_after_answer() (a flag of the thread, which
// runs the connection's loop too; a look at the head's bytes cost ~1k instructions a request).
// Unless the request itself said close, the connection is half-closed first and what the
// client still sends is discarded (at most 1 MiB, 1 s) — nginx's lingering close: a reset
// never overtakes the answer.
// Included only by http_server.cpp and its tests.
#pragma once

#include "http/connection_loop.hpp"  // end_connection_after_answer()

#include <httplib.h>

namespace qg {

class KeepAliveServer : public httplib::Server {
 public:
  KeepAliveServer() = default;
  KeepAliveServer(const KeepAliveServer&) = delete;
  KeepAliveServer& operator=(const KeepAliveServer&) = delete;

  // Ends every wait for a next request, now and later (idle connections close): call it with
  // or after stop(), which alone would leave them waiting out the keep-alive timeout.
  void wake_waiting();

 private:
  bool process_and_close_socket(socket_t sock) override;

  StopEvent stop_;  // raised by wake_waiting()
};

}  // namespace qg
