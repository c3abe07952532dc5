// tests/http/tls_peer.hpp — HTTPS for the listener's tests: the daemon's listener options with a
// self-signed certificate for 127.0.0.1 (made once a test binary by the openssl CLI, as
// tests/e2e/tls_e2e_test.cpp does), and a TLS client on a raw socket that sends chosen bytes as
// chosen TLS records and reads what comes back (OpenSSL, no certificate check).
#pragma once

#include "http/http_server.hpp"

#include <chrono>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
struct ssl_st;

namespace qg::test {

// free_port_options() (open_listener.hpp) with server.tls set: the listener speaks HTTPS.
HttpServerOptions tls_free_port_options();

class TlsClient {
 public:
  // Connects to 127.0.0.1:port and completes the handshake; ok() says whether it did.
  explicit TlsClient(int port);
  ~TlsClient();  // closes the socket without close_notify
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return ssl_ != nullptr; }
  int fd() const { return fd_; }
  // Sends `bytes` as one TLS record (one SSL_write); false when it could not.
  bool send_record(const std::string& bytes);

  enum class Read { data, timeout, closed };
  // Appends what arrives within `wait` to `out`: data, nothing (timeout), or the end of the
  // connection (close_notify, end of stream or reset).
  Read read_some(std::string& out, std::chrono::milliseconds wait);

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  ::ssl_st* ssl_ = nullptr;
};

}  // namespace qg::test
