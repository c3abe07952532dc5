// http/poll_until.hpp — poll(2) until a socket is ready or a deadline passes, resumed after
// signals: the one wait on sockets of the HTTP layer (http/connection_stream.hpp between
// requests and for reads/writes, http/tls_transport.cpp for TLS, http/upstream_connection.cpp
// for the upstream's socket).
#pragma once

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace qg {

// > 0: some of `fds` are ready (their revents set); 0: the deadline passed; -1: poll failed
// with an error other than EINTR (errno says which). A deadline already past polls once.
// Each poll waits at most a minute, then the loop polls again: long deadlines are kept whole.
inline int poll_until(pollfd* fds, nfds_t n, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  while (true) {
    const auto left = ceil<milliseconds>(deadline - steady_clock::now()).count();
    const int r = ::poll(fds, n, static_cast<int>(std::clamp<long long>(left, 0, 60'000)));
    if (r > 0 || (r < 0 && errno != EINTR)) return r;
    if (steady_clock::now() >= deadline) return 0;
  }
}

// The same with a timeout in milliseconds from now.
inline int poll_for(pollfd* fds, nfds_t n, int timeout_ms) {
  return poll_until(fds, n, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
}

}  // namespace qg
