// http/upstream_connection.hpp — a client connection to an upstream (TCP, or TLS through
// OpenSSL with the system's CA store, SNI and host name verification, as httplib's client
// does), driven by its caller's thread with deadlines, and a pool of idle keep-alive ones.
//
// Streamed upstream calls (http/upstream_stream.cpp) read the response on the very thread
// that relays it to the client, a slice at a time: httplib's client only reads a response in
// one blocking call, which needed a second thread per stream. Not thread-safe: one thread
// uses a connection at a time (the pool hands it over under its lock).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace qg {

class UpstreamConnection {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Io { ok, timeout, closed, error };

  enum class OpenFailure {
    none,
    timed_out,   // the deadline passed
    failed,      // refused, unreachable, DNS, TLS: the upstream's side
    exhausted,   // no socket could be made here (EMFILE, ENFILE, ENOBUFS, ENOMEM): this process's side
  };
  // Connects to `origin` ("http://host:port", "https://host[:port]", "[v6]" hosts too) and, for
  // https, completes the TLS handshake, all by `deadline`. nullptr with `error` set ("connect
  // timeout" when the deadline passed, else what failed; never a credential) and `failure`.
  static std::unique_ptr<UpstreamConnection> open(const std::string& origin, Clock::time_point deadline,
                                                  std::string& error, OpenFailure& failure);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  Io write_all(std::string_view data, Clock::time_point deadline);
  // Appends what arrives to `out`, waiting until `deadline` for the first byte. The first read
  // after a write waits before it reads (a reply is not there yet).
  Io read_some(std::string& out, Clock::time_point deadline);
  // An idle pooled connection is still usable: the peer has not closed it, nothing stray.
  bool usable_when_idle() const;
  const std::string& origin() const { return origin_; }
  const std::string& last_error() const { return error_; }

 private:
  UpstreamConnection() = default;
  bool wait(short events, Clock::time_point deadline) const;
  int fd_ = -1;
  bool request_sent_ = false;  // written since the last read_some
  void* ssl_ = nullptr;  // SSL*, null for plain http
  std::string origin_;
  std::string error_;
};

// Idle keep-alive connections per origin: take one (nullptr when none is usable) and give
// it back after a response that left it reusable. At most 64 idle per origin are kept.
std::unique_ptr<UpstreamConnection> take_idle_connection(const std::string& origin);
void keep_idle_connection(std::unique_ptr<UpstreamConnection> connection);

}  // namespace qg
