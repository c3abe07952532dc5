// http/connection_loop.cpp — see connection_loop.hpp (and connection_stream.hpp's addresses).
#include "http/connection_loop.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace qg {

namespace {

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

constexpr size_t kLingerBytes = 1 << 20;
constexpr int kLingerMs = 1000;

}  // namespace

ConnectionAddresses ConnectionAddresses::of(int sock) {
  ConnectionAddresses a;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) numeric_address(addr, len, a.remote_ip, a.remote_port);
  len = sizeof addr;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) numeric_address(addr, len, a.local_ip, a.local_port);
  return a;
}

StopEvent::StopEvent() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

StopEvent::~StopEvent() { ::close(fd_); }

void StopEvent::raise() const {
  const std::uint64_t one = 1;
  (void)!::write(fd_, &one, sizeof one);  // never read: stays readable
}

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

}  // namespace qg
