// http/keep_alive_ssl_server.cpp — see keep_alive_ssl_server.hpp.
#include "http/keep_alive_ssl_server.hpp"

#include "http/tls_transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace qg {

void KeepAliveSslServer::wake_waiting() { stop_.raise(); }

bool KeepAliveSslServer::process_and_close_socket(socket_t sock) {
  const int read_ms = timeout_ms(read_timeout_sec_, read_timeout_usec_);
  const int write_ms = timeout_ms(write_timeout_sec_, write_timeout_usec_);
  bool ok = false;
  if (auto session = TlsSession::accept(ssl_context(), sock, read_ms, stop_.fd())) {
    SSL* ssl = session->ssl();
    ConnectionStream<TlsTransport> strm(TlsTransport(ssl, sock, read_ms, write_ms), read_ms, write_ms);
    const std::function<void(httplib::Request&)> setup = [ssl](httplib::Request& req) { req.ssl = ssl; };
    const ConnectionLimits limits{keep_alive_max_count_, timeout_ms(keep_alive_timeout_sec_, 0), stop_.fd()};
    const ConnectionOutcome out = serve_connection(strm, limits, svr_sock_, [&](httplib::Stream& s, bool last, bool& closed) {
      return process_request(s, last, closed, setup);
    });
    ok = out.ok;
    if (out.end == ConnectionEnd::linger) {
      session->close_notify();  // the answer's end in TLS terms, then the plain socket's
      linger(sock, stop_.fd());
    } else if (ok) {
      session->close_notify();  // as httplib: only when the client still seemed to be there
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace qg
