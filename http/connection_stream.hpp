// http/connection_stream.hpp — one client connection's httplib::Stream, for all its requests,
// over a transport: the plain socket (PlainTransport, below) or a TLS session
// (http/tls_transport.hpp). The listener's connection loop (http/connection_loop.hpp) reads
// and answers every request of the connection through it.
//
// httplib's SocketStream (read timeout, 4 KiB read buffer, write timeout, an "alive" check
// before a write) plus: a buffer that outlives a request (a pipelined request's bytes are kept),
// addresses read once, a 2xx head held until the next write (head and body in one segment),
// a read that takes bytes already there before it polls — keep_alive_server.hpp says why each.
//
// A transport is a type (not a virtual interface: the plain path is the hot one) with
//   int fd() const;                                  the socket, for polls
//   bool pending() const;                            bytes taken from the socket, not yet read
//   ssize_t receive(char*, size_t, int flags);       > 0 read, 0 end of stream, -1 with errno
//   ssize_t send(const char*, size_t, int flags);    > 0 sent, -1 with errno
// where flags is MSG_DONTWAIT (-1 with EAGAIN when nothing can be done now) or 0 (wait, within
// the connection's read or write timeout).
#pragma once

#include "http/poll_until.hpp"

#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// The client's and our numeric address and port (httplib's get_remote_ip_and_port and
// get_local_ip_and_port, read once a connection).
struct ConnectionAddresses {
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  static ConnectionAddresses of(int sock);
};

// The plain socket: recv/send, EINTR retried; a send never raises SIGPIPE. Waits (flags 0)
// are the kernel's blocking calls (the accepted socket is blocking).
struct PlainTransport {
  int sock;
  int fd() const { return sock; }
  static constexpr bool pending() { return false; }
  ssize_t receive(char* ptr, size_t size, int flags) const {
    while (true) {
      const ssize_t n = ::recv(sock, ptr, size, flags);
      if (n >= 0 || errno != EINTR) return n;
    }
  }
  ssize_t send(const char* ptr, size_t size, int flags) const {
    while (true) {
      const ssize_t n = ::send(sock, ptr, size, MSG_NOSIGNAL | flags);
      if (n >= 0 || errno != EINTR) return n;
    }
  }
};

template <class Transport>
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Transport transport, int read_timeout_ms, int write_timeout_ms)
      : transport_(transport),
        sock_(transport.fd()),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms),
        buffer_(kBufferSize),
        addresses_(ConnectionAddresses::of(sock_)) {}

  // Until the next request's first bytes (true), the keep-alive timeout, or the stop event.
  bool wait_for_request(int stop_fd, int timeout_ms) const {
    if (buffered() > 0 || transport_.pending()) return true;
    std::array<pollfd, 2> fds{pollfd{sock_, POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
    const int r = poll_for(fds.data(), fds.size(), timeout_ms);
    return r > 0 && fds[1].revents == 0 && fds[0].revents != 0;  // a hang-up is read as end of stream
  }

  bool is_readable() const override {
    return buffered() > 0 || transport_.pending() || wait_for(sock_, POLLIN, read_timeout_ms_) > 0;
  }

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
    ssize_t n = transport_.receive(into, room, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!is_readable()) return -1;
      n = transport_.receive(into, room, 0);
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
    ip = addresses_.remote_ip;
    port = addresses_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = addresses_.local_ip;
    port = addresses_.local_port;
  }
  socket_t socket() const override { return sock_; }

 private:
  static constexpr size_t kBufferSize = 4096;
  static constexpr size_t kMaxHeldHead = 16 * 1024;  // larger writes are not a head of ours

  static int wait_for(int sock, short events, int timeout_ms) {
    pollfd p{sock, events, 0};
    return poll_for(&p, 1, timeout_ms);
  }

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
      const ssize_t n = transport_.send(data.data(), data.size(), MSG_DONTWAIT);
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
  // httplib's SocketStream::write: what it sent, or -1 / 0 from the transport.
  ssize_t send_some(const char* ptr, size_t size) {
    if (!is_writable()) return -1;
    return transport_.send(ptr, size, 0);
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

  Transport transport_;
  const int sock_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::vector<char> buffer_;
  std::string held_;  // a response head waiting for its body's (or first chunk's) write
  bool held_whole_ = false;  // the held head names a Content-Length: head and body are the answer
  size_t offset_ = 0;
  size_t filled_ = 0;
  const ConnectionAddresses addresses_;
};

}  // namespace qg
