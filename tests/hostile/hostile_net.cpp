// tests/hostile/hostile_net.cpp — see hostile_net.hpp.
#include "tests/hostile/hostile_net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>

namespace qg::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Appends what arrives within the time left; false on EOF, error or timeout.
bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string header_in(const std::string& head, const std::string& name) {
  std::istringstream lines(head);
  std::string line;
  const std::string want = lower(name) + ":";
  while (std::getline(lines, line)) {
    if (lower(line).rfind(want, 0) == 0) {
      std::string v = line.substr(want.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
  }
  return "";
}

}  // namespace

std::string RawReply::header(const std::string& name) const { return header_in(head, name); }

int connect_local(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int Received::answers() const {
  int n = 0;
  for (auto at = bytes.find("HTTP/1.1 "); at != std::string::npos; at = bytes.find("HTTP/1.1 ", at + 1)) ++n;
  return n;
}

Received send_until_closed(int port, std::string_view bytes, std::chrono::milliseconds timeout) {
  Received r;
  const int fd = connect_local(port);
  if (fd < 0) return r;
  if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return r;
  }
  timeval tv{0, 100'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      r.closed = true;
      break;
    }
    if (n > 0) r.bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return r;
}

RawReply read_reply(int fd, std::chrono::milliseconds timeout) {
  RawReply r;
  const auto deadline = Clock::now() + timeout;
  std::string buf;
  std::size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos)
    if (!read_more(fd, buf, deadline)) return r;
  r.head = buf.substr(0, head_end);
  if (r.head.size() > 12) r.status = std::atoi(r.head.c_str() + 9);
  std::string rest = buf.substr(head_end + 4);
  const std::string length = header_in(r.head, "Content-Length");
  if (!length.empty()) {
    const std::size_t n = std::stoull(length);
    while (rest.size() < n && read_more(fd, rest, deadline)) {
    }
    r.body = rest.substr(0, std::min(n, rest.size()));
  } else if (lower(header_in(r.head, "Transfer-Encoding")) == "chunked") {
    std::size_t pos = 0;
    while (true) {
      std::size_t eol;
      while ((eol = rest.find("\r\n", pos)) == std::string::npos)
        if (!read_more(fd, rest, deadline)) return r;
      const std::size_t size = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) break;
      while (rest.size() < eol + 2 + size + 2)
        if (!read_more(fd, rest, deadline)) return r;
      r.body += rest.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
  } else {
    while (read_more(fd, rest, deadline)) {
    }
    r.body = rest;
  }
  return r;
}

RawReply raw_request(int port, std::string_view bytes, std::chrono::milliseconds timeout) {
  RawReply r;
  const int fd = connect_local(port);
  if (fd < 0) return r;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (and close) before it read everything
    sent += static_cast<std::size_t>(n);
  }
  r = read_reply(fd, timeout);
  ::close(fd);
  return r;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

long raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return static_cast<long>(lim.rlim_cur);
}

bool ScriptedUpstream::Conn::write(std::string_view bytes) const {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

ScriptedUpstream::ScriptedUpstream(Script script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::listen(listen_fd_, 256);
  accept_thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  });
}

ScriptedUpstream::~ScriptedUpstream() {
  stop_ = true;
  if (accept_thread_.joinable()) accept_thread_.join();
  for (auto& w : workers_) w.join();
  ::close(listen_fd_);
}

// -1 on EOF or error, 0 when nothing arrived within `ms`, else the bytes appended.
static int recv_some(int fd, std::string& buf, int ms) {
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, ms);
  if (ready == 0) return 0;
  if (ready < 0) return -1;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return -1;
  buf.append(chunk, static_cast<std::size_t>(n));
  return static_cast<int>(n);
}

void ScriptedUpstream::serve(int fd) {
  std::string buf;
  bool open = true;
  while (open && !stop_) {
    std::size_t head_end = std::string::npos;
    while (open && !stop_ && (head_end = buf.find("\r\n\r\n")) == std::string::npos)
      open = recv_some(fd, buf, 100) >= 0;
    if (!open || stop_) break;
    const std::string head = buf.substr(0, head_end);
    std::size_t length = 0;
    if (std::string v = header_in(head, "Content-Length"); !v.empty()) length = std::stoull(v);
    std::string body = buf.substr(head_end + 4);
    while (open && !stop_ && body.size() < length) open = recv_some(fd, body, 100) >= 0;
    if (body.size() < length) break;
    buf = body.substr(length);
    body.resize(length);
    ++requests_;
    if (!script_(head + "\r\n\r\n" + body, Conn{fd})) break;
  }
  ::close(fd);
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(content_type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace qg::test
