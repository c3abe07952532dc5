// http/keep_alive_ssl_server.hpp — httplib::SSLServer whose connections run the plain
// listener's loop (http/connection_loop.hpp) over a TLS session (http/tls_transport.hpp).
//
// httplib 0.11's SSLServer keeps its own per-connection loop: it ends a connection only for the
// request's own "Connection: close", so the unread body of a refused request (413 / 401 before
// the body, the startup 503, a GET with a body, httplib's own 400) was parsed as the next
// request on that TLS connection (request smuggling); it waits for a next request in the
// poll-and-sleep loop (an idle connection wakes its thread ~180 times a second) that polls
// only the socket, so a pipelined request already decrypted waited out the keep-alive timeout,
// and stop() waited it out too. This server overrides process_and_close_socket: the TLS
// handshake (non-blocking, within the read timeout, as httplib's; given up at wake_waiting),
// then the same loop as KeepAliveServer (keep_alive_server.hpp says what it does) with the
// session's decrypted bytes counted as already there, an answer that said Connection: close
// ending the connection (close_notify, then the lingering close on the plain socket), and
// close_notify at the end when the last request succeeded (as httplib's). Each request gets
// req.ssl, as httplib's. Included only by http_server.cpp and its tests.
#pragma once

#include "http/connection_loop.hpp"

#include <httplib.h>

#include <functional>

namespace qg {

class KeepAliveSslServer : public httplib::SSLServer {
 public:
  // `setup` prepares the server's SSL_CTX (certificates, versions), as SSLServer's constructor.
  explicit KeepAliveSslServer(const std::function<bool(SSL_CTX&)>& setup) : httplib::SSLServer(setup) {}
  KeepAliveSslServer(const KeepAliveSslServer&) = delete;
  KeepAliveSslServer& operator=(const KeepAliveSslServer&) = delete;

  // Ends every wait for a next request (and every handshake), now and later: call it with or
  // after stop(), which alone would leave them waiting out their timeouts.
  void wake_waiting();

 private:
  bool process_and_close_socket(socket_t sock) override;

  StopEvent stop_;  // raised by wake_waiting()
};

}  // namespace qg
