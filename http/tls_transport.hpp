// http/tls_transport.hpp — the server side of one client's TLS session, as a transport of
// http/connection_stream.hpp: the HTTPS listener's connections (http/keep_alive_ssl_server.hpp).
//
// The handshake and every read and write run on a non-blocking socket, waited for with poll
// (the handshake within the server's read timeout, as httplib's, and given up at the stop
// event; reads and writes within the read and write timeouts): a client that sends half a TLS
// record never holds a thread past its timeout. Writes never raise SIGPIPE (the socket's BIO
// sends with MSG_NOSIGNAL), as the plain listener's. Depends on OpenSSL only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>

typedef struct ssl_ctx_st SSL_CTX;
struct ssl_st;  // SSL, declared here at global scope as OpenSSL does

namespace qg {

// A connection stream's transport over an established session (see connection_stream.hpp for
// the calls). Copied into the stream; the session outlives it.
class TlsTransport {
 public:
  TlsTransport(::ssl_st* ssl, int sock, int read_timeout_ms, int write_timeout_ms)
      : ssl_(ssl), sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}
  int fd() const { return sock_; }
  // Bytes the session took from the socket and has not handed out yet (a pipelined request's
  // may all be here, the socket empty).
  bool pending() const;
  ssize_t receive(char* ptr, size_t size, int flags) const;
  ssize_t send(const char* ptr, size_t size, int flags) const;

 private:
  // Waits for what the session asked for (SSL_ERROR_WANT_READ/WRITE) within the timeout.
  bool wait(int ssl_error) const;

  ::ssl_st* ssl_;
  int sock_;
  int read_timeout_ms_;
  int write_timeout_ms_;
};

class TlsSession {
 public:
  // The server's handshake on the accepted socket `sock` (left non-blocking): nullptr when it
  // failed, did not finish within `timeout_ms`, or `stop_fd` became readable meanwhile.
  static std::unique_ptr<TlsSession> accept(SSL_CTX* ctx, int sock, int timeout_ms, int stop_fd);
  ~TlsSession();  // frees the session; the socket stays open
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  ::ssl_st* ssl() const { return ssl_; }
  // Sends close_notify (once, without waiting for the client's).
  void close_notify();

 private:
  explicit TlsSession(::ssl_st* ssl) : ssl_(ssl) {}
  ::ssl_st* ssl_;
  bool notified_ = false;
};

}  // namespace qg
