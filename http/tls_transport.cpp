// http/tls_transport.cpp — see tls_transport.hpp.
#include "http/tls_transport.hpp"

#include "http/poll_until.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <utility>

namespace qg {

namespace {

// OpenSSL's socket BIO with one change: send() with MSG_NOSIGNAL (its write() raises SIGPIPE
// at a client that closed).
int send_nosignal(BIO* bio, const char* data, int len) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  errno = 0;
  ssize_t n;
  do n = ::send(fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  BIO_clear_retry_flags(bio);
  if (n <= 0 && BIO_sock_should_retry(static_cast<int>(n))) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

const BIO_METHOD* nosignal_socket_method() {
  static BIO_METHOD* method = [] {
    const BIO_METHOD* socket = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOCKET, "socket, MSG_NOSIGNAL");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, send_nosignal);
    BIO_meth_set_read(m, BIO_meth_get_read(socket));
    BIO_meth_set_puts(m, BIO_meth_get_puts(socket));
    BIO_meth_set_gets(m, BIO_meth_get_gets(socket));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(socket));
    BIO_meth_set_create(m, BIO_meth_get_create(socket));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(socket));
    BIO_meth_set_callback_ctrl(m, BIO_meth_get_callback_ctrl(socket));
    return m;
  }();
  return method;
}

int clamp_int(size_t size) { return static_cast<int>(std::min<size_t>(size, INT_MAX)); }

}  // namespace

bool TlsTransport::pending() const { return SSL_has_pending(ssl_) == 1; }

bool TlsTransport::wait(int ssl_error) const {
  const bool read = ssl_error == SSL_ERROR_WANT_READ;
  pollfd p{sock_, static_cast<short>(read ? POLLIN : POLLOUT), 0};
  return poll_for(&p, 1, read ? read_timeout_ms_ : write_timeout_ms_) > 0;
}

// Each call starts with an empty error queue (SSL_get_error reads it; this thread's upstream
// calls use OpenSSL too) and leaves it empty.
ssize_t TlsTransport::receive(char* ptr, size_t size, int flags) const {
  ERR_clear_error();
  while (true) {
    const int n = SSL_read(ssl_, ptr, clamp_int(size));
    if (n > 0) return n;
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify: the end of the stream
    if (e == SSL_ERROR_WANT_READ && (flags & MSG_DONTWAIT)) {
      errno = EAGAIN;
      return -1;
    }
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait(e)) continue;
    ERR_clear_error();  // the thread's queue stays empty for the next call's SSL_get_error
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) errno = ETIMEDOUT;
    else if (e != SSL_ERROR_SYSCALL || errno == 0) errno = ECONNRESET;
    return -1;
  }
}

ssize_t TlsTransport::send(const char* ptr, size_t size, int flags) const {
  ERR_clear_error();
  while (true) {
    const int n = SSL_write(ssl_, ptr, clamp_int(size));
    if (n > 0) return n;
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_WRITE && (flags & MSG_DONTWAIT)) {
      errno = EAGAIN;  // retried later with the same bytes, as SSL_write requires
      return -1;
    }
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait(e)) continue;
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) errno = ETIMEDOUT;
    else if (e != SSL_ERROR_SYSCALL || errno == 0) errno = EPIPE;
    return -1;
  }
}

std::unique_ptr<TlsSession> TlsSession::accept(SSL_CTX* ctx, int sock, int timeout_ms, int stop_fd) {
  const BIO_METHOD* method = nosignal_socket_method();
  if (ctx == nullptr || method == nullptr) return nullptr;
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  std::unique_ptr<TlsSession> session(new TlsSession(ssl));
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  BIO_set_fd(bio, sock, BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);
  // SSL_write's retry after WANT_WRITE may come from another buffer holding the same bytes.
  SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const int fl = ::fcntl(sock, F_GETFL);
  if (fl < 0 || ::fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0) return nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  ERR_clear_error();
  while (true) {
    const int r = SSL_accept(ssl);
    if (r == 1) return session;
    const int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) break;
    std::array<pollfd, 2> fds{pollfd{sock, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0},
                              pollfd{stop_fd, POLLIN, 0}};
    if (poll_until(fds.data(), fds.size(), deadline) <= 0 || fds[1].revents != 0) break;
  }
  ERR_clear_error();
  return nullptr;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::close_notify() {
  if (std::exchange(notified_, true)) return;
  ERR_clear_error();
  if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
}

}  // namespace qg
