// tests/http/tls_peer.cpp — see tls_peer.hpp.
#include "tests/http/tls_peer.hpp"

#include "tests/hostile/hostile_net.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace qg::test {

namespace {

// A self-signed certificate and key for 127.0.0.1, in a directory that lives as long as the binary.
const TempDir& certificate_dir() {
  static const std::unique_ptr<TempDir> dir = [] {
    auto d = std::make_unique<TempDir>("qg-listener-tls");
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                            "-subj /CN=qg-listener-test -addext subjectAltName=IP:127.0.0.1 -keyout " +
                            d->file("listener.key") + " -out " + d->file("listener.crt") + " >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl could not make a certificate");
    return d;
  }();
  return *dir;
}

}  // namespace

HttpServerOptions tls_free_port_options() {
  HttpServerOptions o;
  o.port = 0;
  o.tls_cert = certificate_dir().file("listener.crt");
  o.tls_key = certificate_dir().file("listener.key");
  return o;
}

TlsClient::TlsClient(int port) {
  fd_ = connect_local(port);
  if (fd_ < 0) return;
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) return;
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return;
  SSL_set_fd(ssl, fd_);
  timeval tv{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (SSL_connect(ssl) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return;
  }
  ssl_ = ssl;
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::send_record(const std::string& bytes) {
  ERR_clear_error();
  return ssl_ != nullptr && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
}

TlsClient::Read TlsClient::read_some(std::string& out, std::chrono::milliseconds wait) {
  if (ssl_ == nullptr) return Read::closed;
  const auto ms = wait.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ERR_clear_error();
  char buf[16384];
  errno = 0;
  const int n = SSL_read(ssl_, buf, sizeof buf);
  if (n > 0) {
    out.append(buf, static_cast<size_t>(n));
    return Read::data;
  }
  const int e = SSL_get_error(ssl_, n);
  const bool timed_out = (e == SSL_ERROR_WANT_READ) || (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
  ERR_clear_error();
  return timed_out ? Read::timeout : Read::closed;
}

}  // namespace qg::test
