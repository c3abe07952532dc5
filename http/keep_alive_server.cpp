// http/keep_alive_server.cpp — see keep_alive_server.hpp.
#include "http/keep_alive_server.hpp"

#include "http/poll_until.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

namespace {

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

int wait_for(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  return poll_for(&p, 1, timeout_ms);
}

// Numeric address and port of a socket name (httplib's get_ip_and_port).
void numeric_address(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  else if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  else return;
  std::array<char, NI_MAXHOST> host{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(), static_cast<socklen_t>(host.size()),
                    nullptr, 0, NI_NUMERICHOST) == 0)
    ip = host.data();
}

// One connection's stream, for all its requests: httplib's SocketStream (read timeout, 4 KiB
// read buffer, write timeout, "alive" check before a write) plus a buffer that outlives a request
// and addresses read once.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms), buffer_(kBufferSize) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) numeric_address(addr, len, remote_ip_, remote_port_);
    len = sizeof addr;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) numeric_address(addr, len, local_ip_, local_port_);
  }

  // Until the next request's first bytes (true), the keep-alive timeout, or the stop event.
  bool wait_for_request(int stop_fd, int timeout_ms) const {
    if (buffered() > 0) return true;
    std::array<pollfd, 2> fds{pollfd{sock_, POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
    const int r = poll_for(fds.data(), fds.size(), timeout_ms);
    return r > 0 && fds[1].revents == 0 && fds[0].revents != 0;  // a hang-up is read as end of stream
  }

  bool is_readable() const override { return buffered() > 0 || wait_for(sock_, POLLIN, read_timeout_ms_) > 0; }

  bool is_writable() const override {
    // One poll in the common case: room to write and nothing to read (the peer has not closed).
    pollfd p{sock_, POLLOUT | POLLIN, 0};
    const int r = poll_for(&p, 1, 0);
    if (r > 0 && p.revents == POLLOUT) return true;
    if (!(r > 0 && (p.revents & POLLOUT)) && wait_for(sock_, POLLOUT, write_timeout_ms_) <= 0) return false;
    return alive();
  }

  ssize_t read(char* ptr, size_t size) override {
    // httplib reads a request's head one byte a call (stream_line_reader): from the buffer,
    // nothing held to send first, that is one load, without read_more's frame.
    if (size == 1 && offset_ < filled_ && held_.empty()) {
      *ptr = buffer_[offset_++];
      return 1;
    }
    return read_more(ptr, size);
  }

  [[gnu::noinline]] ssize_t read_more(char* ptr, size_t size) {
    if (!flush()) return -1;
    if (buffered() > 0) {
      const size_t n = std::min(size, buffered());
      std::memcpy(ptr, buffer_.data() + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    offset_ = filled_ = 0;
    const bool direct = size >= kBufferSize;
    char* into = direct ? ptr : buffer_.data();
    const size_t room = direct ? size : kBufferSize;
    // Bytes already there (a request's first read: wait_for_request's poll saw them) are taken
    // without another poll; an empty socket is waited for with the read timeout, as before.
    ssize_t n = receive(into, room, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!is_readable()) return -1;
      n = receive(into, room, 0);
    }
    if (direct || n <= 0) return n;
    filled_ = static_cast<size_t>(n);
    const size_t given = std::min(size, filled_);
    std::memcpy(ptr, buffer_.data(), given);
    offset_ = given;
    return static_cast<ssize_t>(given);
  }

  // A response head (httplib writes it alone, then the body or the first chunk) is held and
  // leaves with the next write, in one segment; see keep_alive_server.hpp for when else.
  ssize_t write(const char* ptr, size_t size) override {
    const std::string_view data(ptr, size);
    if (held_.empty() && data.size() <= kMaxHeldHead && data.starts_with("HTTP/1.1 2") && data.ends_with("\r\n\r\n")) {
      held_.assign(data);
      held_whole_ = data.find("\r\nContent-Length:") != std::string_view::npos;
      return static_cast<ssize_t>(size);
    }
    if (!held_.empty()) {
      held_.append(data);
      return send_held() ? static_cast<ssize_t>(size) : -1;
    }
    return send_some(ptr, size);
  }

  // Sends a held head (the response ended without a body, or a read comes first).
  bool flush() { return held_.empty() || send_held(); }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

 private:
  static constexpr size_t kBufferSize = 4096;
  static constexpr size_t kMaxHeldHead = 16 * 1024;  // larger writes are not a head of ours

  size_t buffered() const { return filled_ - offset_; }

  // The held head and what joined it, whole; the hold is over either way. A head with a
  // Content-Length and its body are the whole answer: they go in one send without send_some's
  // poll first (room to write, has the client closed?) — to a client that closed the bytes
  // are lost either way, and the next wait for a request reads its end of stream; the poll
  // comes only when the socket takes less than all. A stream's first event keeps the poll
  // (its later writes depend on it: a stream stops at a client that left).
  bool send_held() {
    std::string_view data(held_);
    if (held_whole_) {
      const ssize_t n = send_flags(data.data(), data.size(), MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        held_.clear();
        return false;
      }
      if (n > 0) data.remove_prefix(static_cast<size_t>(n));
    }
    while (!data.empty()) {
      const ssize_t n = send_some(data.data(), data.size());
      if (n <= 0) break;
      data.remove_prefix(static_cast<size_t>(n));
    }
    held_.clear();
    return data.empty();
  }

  // One send once the socket is writable within the write timeout (-1 when it is not), as
  // httplib's SocketStream::write: what it sent, or -1 / 0 from send() (EINTR retried).
  ssize_t send_some(const char* ptr, size_t size) const {
    if (!is_writable()) return -1;
    return send_flags(ptr, size, 0);
  }

  // One send() with MSG_NOSIGNAL and `flags` (MSG_DONTWAIT: -1 with EAGAIN when there is no
  // room), EINTR retried.
  ssize_t send_flags(const char* ptr, size_t size, int flags) const {
    while (true) {
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL | flags);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  ssize_t receive(char* ptr, size_t size, int flags) const {
    while (true) {
      const ssize_t n = ::recv(sock_, ptr, size, flags);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  // httplib's is_socket_alive: nothing to read, or something that is not the end of the stream.
  bool alive() const {
    pollfd p{sock_, POLLIN, 0};
    const int r = poll_for(&p, 1, 0);
    if (r == 0) return true;
    if (r < 0 && errno == EBADF) return false;
    char c;
    return ::recv(sock_, &c, 1, MSG_PEEK) > 0;
  }

  const int sock_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::vector<char> buffer_;
  std::string held_;  // a response head waiting for its body's (or first chunk's) write
  bool held_whole_ = false;  // the held head names a Content-Length: head and body are the answer
  size_t offset_ = 0;
  size_t filled_ = 0;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

// Set by end_connection_after_answer() while this thread writes a request's answer.
thread_local bool answer_ends_connection = false;

// Before closing a connection whose answer said Connection: close while the client may still
// send (a refused request's body): closing with unread bytes sends a reset, which can reach the
// client before it read the answer (a client still sending its body sees the send fail first).
// So, as nginx's lingering close: half-close (the client reads the answer, then the end), and
// discard what it still sends until it closes too — at most kLingerBytes, kLingerMs, or stop.
constexpr size_t kLingerBytes = 1 << 20;
constexpr int kLingerMs = 1000;

void linger(int sock, int stop_fd) {
  ::shutdown(sock, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMs);
  std::array<char, 16384> discard{};
  for (size_t total = 0; total < kLingerBytes;) {
    std::array<pollfd, 2> fds{pollfd{sock, POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
    if (poll_until(fds.data(), fds.size(), deadline) <= 0 || fds[1].revents != 0) return;
    const ssize_t n = ::recv(sock, discard.data(), discard.size(), MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))) return;
    if (n > 0) total += static_cast<size_t>(n);
  }
}

}  // namespace

KeepAliveServer::KeepAliveServer() : stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (stop_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

KeepAliveServer::~KeepAliveServer() { ::close(stop_fd_); }

void end_connection_after_answer() { answer_ends_connection = true; }

void KeepAliveServer::wake_waiting() {
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);  // never read: stays readable
}

bool KeepAliveServer::process_and_close_socket(socket_t sock) {
  ConnectionStream strm(sock, to_ms(read_timeout_sec_, read_timeout_usec_), to_ms(write_timeout_sec_, write_timeout_usec_));
  const int keep_alive_ms = to_ms(keep_alive_timeout_sec_, 0);
  bool ret = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (!strm.wait_for_request(stop_fd_, keep_alive_ms)) break;
    bool connection_closed = false;
    answer_ends_connection = false;
    ret = process_request(strm, left == 1, connection_closed, nullptr);
    if (!strm.flush()) ret = false;  // a head held for a body that never came
    // An answer that said Connection: close ends the connection, whatever httplib decided: the
    // bytes still unread (a refused request's body) are never parsed as a next request.
    if (!ret || connection_closed) break;
    if (answer_ends_connection) {
      linger(sock, stop_fd_);  // the request's body may still be coming: see linger()
      break;
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace qg
