// tests/hostile/hostile_net.hpp — raw sockets for the hostile suites.
//
// A hostile client must send what no HTTP library sends (two Content-Lengths, a NUL in a
// header, headers without their body, idle connections by the thousand), and a hostile
// upstream must answer what no server library answers (a bare-CR stream, a body dripped
// byte by byte, a header with 400 fraction digits). Both are written here on plain POSIX
// sockets on 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace qg::test {

// A connected blocking socket to 127.0.0.1:port, or -1.
int connect_local(int port);

struct RawReply {
  int status = -1;     // -1: no status line arrived
  std::string head;    // status line and headers
  std::string body;    // de-chunked when chunked
  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
};

// Sends `bytes` on a new connection and reads one response (Content-Length, chunked, or to
// EOF), at most `timeout`.
RawReply raw_request(int port, std::string_view bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds{10});
// Reads one response from an open socket.
RawReply read_reply(int fd, std::chrono::milliseconds timeout);

// What came back on one connection until the server ended it (or the wait ran out): every
// byte, so a test can count the answers, e.g. of a request hidden in a body.
struct Received {
  std::string bytes;
  bool closed = false;  // the server ended the connection (not our timeout)
  int answers() const;  // "HTTP/1.1 " status lines among the bytes
};
// Sends `bytes` on a new connection and reads until the server closes it or `timeout` passes.
Received send_until_closed(int port, std::string_view bytes, std::chrono::milliseconds timeout);

// Resident set size of a process in KiB (from /proc), 0 if unknown.
long rss_kib(pid_t pid);

// Raises this process' open-file soft limit to its hard limit; returns the new soft limit.
long raise_fd_limit();

// A scripted upstream: accepts connections on 127.0.0.1:0, reads each HTTP request (head and
// Content-Length body) and hands it to the script, which writes whatever bytes it likes and
// returns true to keep the connection for another request. One thread per connection.
class ScriptedUpstream {
 public:
  struct Conn {
    int fd;
    bool write(std::string_view bytes) const;  // false once the peer is gone
  };
  using Script = std::function<bool(const std::string& request, const Conn& conn)>;

  explicit ScriptedUpstream(Script script);
  ~ScriptedUpstream();
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return requests_.load(); }

 private:
  void serve(int fd);
  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;
  std::vector<std::thread> workers_;
};

// `levels` nested objects around a 1: {"a":{"a":...1}} (item 1's deep JSON).
inline std::string nested_json(std::size_t levels) {
  std::string s;
  for (std::size_t i = 0; i < levels; ++i) s += "{\"a\":";
  s += "1";
  s.append(levels, '}');
  return s;
}

// "HTTP/1.1 <status> X\r\nContent-Type: ...\r\nContent-Length: N\r\n<extra>\r\n<body>"
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers = {});

}  // namespace qg::test
