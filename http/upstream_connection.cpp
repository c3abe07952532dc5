// http/upstream_connection.cpp — see upstream_connection.hpp.
#include "http/upstream_connection.hpp"

#include "http/poll_until.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace qg {
namespace {

using Clock = UpstreamConnection::Clock;
constexpr std::size_t kMaxIdlePerOrigin = 64;
constexpr std::size_t kReadSize = 4 * 1024;  // on the stack of every stream's thread: kept small

SSL_CTX* tls_client_context() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(c);  // the system CA store (SSL_CERT_FILE / SSL_CERT_DIR honoured)
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return c;
  }();
  return ctx;
}

std::string tls_error_text(SSL* ssl) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) return std::string("TLS certificate: ") + X509_verify_cert_error_string(verify);
  char buf[256] = "TLS handshake failed";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct HostPort {
  std::string host;
  std::string port;
  bool tls = false;
};

bool split_origin(const std::string& origin, HostPort& out) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;
  out.tls = origin.compare(0, scheme_end, "https") == 0;
  std::string rest = origin.substr(scheme_end + 3);
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) return false;
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  out.port = port.empty() ? (out.tls ? "443" : "80") : port;
  return !out.host.empty();
}

class IdlePool {
 public:
  std::unique_ptr<UpstreamConnection> take(const std::string& origin) {
    while (true) {
      std::unique_ptr<UpstreamConnection> c;
      {
        std::lock_guard lock(m_);
        auto it = idle_.find(origin);
        if (it == idle_.end() || it->second.empty()) return nullptr;
        c = std::move(it->second.back());
        it->second.pop_back();
      }
      if (c->usable_when_idle()) return c;  // else: closed by the peer meanwhile, dropped
    }
  }
  void keep(std::unique_ptr<UpstreamConnection> c) {
    std::lock_guard lock(m_);
    auto& idle = idle_[c->origin()];
    if (idle.size() < kMaxIdlePerOrigin) idle.push_back(std::move(c));
  }

 private:
  std::mutex m_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

IdlePool& idle_pool() {
  static IdlePool* pool = new IdlePool;  // never destroyed: streams may end during exit
  return *pool;
}

}  // namespace

bool UpstreamConnection::wait(short events, Clock::time_point deadline) const {
  pollfd p{fd_, events, 0};
  return poll_until(&p, 1, deadline) != 0;  // an error: let the read/write report it
}

std::unique_ptr<UpstreamConnection> UpstreamConnection::open(const std::string& origin, Clock::time_point deadline,
                                                             std::string& error, OpenFailure& failure) {
  failure = OpenFailure::failed;
  bool timed_out = false;
  HostPort hp;
  if (!split_origin(origin, hp)) {
    error = "bad upstream origin";
    return nullptr;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0) {
    error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return nullptr;
  }
  std::unique_ptr<UpstreamConnection> c(new UpstreamConnection());
  c->origin_ = origin;
  error = "connection refused";
  for (addrinfo* a = found; a && c->fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      const int e = errno;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        error = std::string("no socket: ") + std::strerror(e);
        failure = OpenFailure::exhausted;
        break;
      }
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd_ = fd;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    int so_error = errno;
    if (so_error == EINPROGRESS) {
      if (!c->wait(POLLOUT, deadline)) {
        timed_out = true;
        error = "connect timeout";
      } else {
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error == 0) break;
        error = std::string("connect: ") + std::strerror(so_error);
      }
    } else {
      error = std::string("connect: ") + std::strerror(so_error);
    }
    ::close(fd);
    c->fd_ = -1;
    if (timed_out) break;
  }
  ::freeaddrinfo(found);
  if (timed_out) failure = OpenFailure::timed_out;
  if (c->fd_ < 0) return nullptr;
  failure = OpenFailure::none;
  if (!hp.tls) return c;

  SSL* ssl = SSL_new(tls_client_context());
  c->ssl_ = ssl;
  SSL_set_fd(ssl, c->fd_);
  in6_addr ip{};
  const bool is_ip = ::inet_pton(AF_INET, hp.host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, hp.host.c_str(), &ip) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), hp.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, hp.host.c_str());
    SSL_set1_host(ssl, hp.host.c_str());
  }
  while (true) {
    const int rc = SSL_connect(ssl);
    if (rc == 1) return c;
    const int why = SSL_get_error(ssl, rc);
    if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
      error = tls_error_text(ssl);
      failure = OpenFailure::failed;
      return nullptr;
    }
    if (!c->wait(why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
      failure = OpenFailure::timed_out;
      error = "connect timeout (TLS handshake)";
      return nullptr;
    }
  }
}

UpstreamConnection::~UpstreamConnection() {
  if (ssl_) SSL_free(static_cast<SSL*>(ssl_));  // no close_notify: the socket just goes
  if (fd_ >= 0) ::close(fd_);
}

UpstreamConnection::Io UpstreamConnection::write_all(std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    long n;
    if (ssl_) {
      const int rc = SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
      if (rc <= 0) {
        const int why = SSL_get_error(static_cast<SSL*>(ssl_), rc);
        if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
          error_ = "TLS write failed";
          return Io::error;
        }
        if (!wait(why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return Io::timeout;
        continue;
      }
      n = rc;
    } else {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          error_ = std::string("write: ") + std::strerror(errno);
          return Io::error;
        }
        if (!wait(POLLOUT, deadline)) return Io::timeout;
        continue;
      }
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  request_sent_ = true;
  return Io::ok;
}

UpstreamConnection::Io UpstreamConnection::read_some(std::string& out, Clock::time_point deadline) {
  char buf[kReadSize];
  // Right after a request went out its reply is not there yet: wait for it first, not after a
  // read that finds nothing (one system call a request fewer; the poll returns at once when
  // the reply did come already).
  if (std::exchange(request_sent_, false) && !(ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0) &&
      !wait(POLLIN, deadline))
    return Io::timeout;
  while (true) {
    if (ssl_) {
      SSL* ssl = static_cast<SSL*>(ssl_);
      const int rc = SSL_read(ssl, buf, sizeof buf);
      if (rc > 0) {
        out.append(buf, static_cast<std::size_t>(rc));
        return Io::ok;
      }
      const int why = SSL_get_error(ssl, rc);
      if (why == SSL_ERROR_ZERO_RETURN || (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
        ERR_clear_error();
        return Io::closed;  // close_notify, or the peer closed the socket without one
      }
      if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
        error_ = tls_error_text(ssl);
        return Io::error;
      }
      if (!wait(why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return Io::timeout;
      continue;
    }
    const long n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return Io::ok;
    }
    if (n == 0) return Io::closed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("read: ") + std::strerror(errno);
      return Io::error;
    }
    if (!wait(POLLIN, deadline)) return Io::timeout;
  }
}

bool UpstreamConnection::usable_when_idle() const {
  if (ssl_ && SSL_pending(static_cast<SSL*>(ssl_)) > 0) return false;
  pollfd p{fd_, POLLIN, 0};
  // Readable while idle = closed by the peer (EOF) or stray bytes: either way not reusable.
  return ::poll(&p, 1, 0) == 0;
}

std::unique_ptr<UpstreamConnection> take_idle_connection(const std::string& origin) {
  return idle_pool().take(origin);
}

void keep_idle_connection(std::unique_ptr<UpstreamConnection> connection) {
  if (connection) idle_pool().keep(std::move(connection));
}

}  // namespace qg
