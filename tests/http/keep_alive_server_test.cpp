// The daemon's HTTP listener between two requests of a keep-alive connection
// (http/keep_alive_server.hpp): the connection's thread sleeps until the client sends, pipelined
// requests are all answered, stop() closes idle connections, an answer's head leaves with its
// body (or a stream's first chunk) in one segment. HttpServer in process, raw sockets.
#include "http/http_server.hpp"
#include "tests/http/open_listener.hpp"
#include "tests/hostile/hostile_net.hpp"
#include "tests/http/thread_sleeps.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

using namespace qg;
using namespace qg::test;

namespace {

// A listener on a free port whose GET /echo/<word> answers "<word> <thread id>".
struct Listener {
  HttpServer server{free_port_options()};
  Listener() {
    open_listener(server, [](httplib::Server& s) {
      s.Get(R"(/echo/(\w+))", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.matches[1].str() + " " + std::to_string(::gettid()), "text/plain");
      });
      s.Get("/events", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](std::size_t, httplib::DataSink& sink) {
          const std::string event = "data: one\n\n";
          sink.write(event.data(), event.size());
          sink.done();
          return true;
        });
      });
    });
  }
};

std::string get(const std::string& word) { return "GET /echo/" + word + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

long tid_in(const RawReply& r) { return std::stol(r.body.substr(r.body.find(' ') + 1)); }

}  // namespace

TEST_CASE("keep-alive: an idle connection's thread sleeps until the client sends again") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, get("first")));
  const RawReply first = read_reply(fd, std::chrono::seconds(10));
  REQUIRE(first.status == 200);
  const long tid = tid_in(first);
  const long idle_wakeups = wakeups_while_idle(tid);
  REQUIRE(idle_wakeups >= 0);
  CHECK_MESSAGE(idle_wakeups <= 2, idle_wakeups << " wake-ups while the connection was idle");
  REQUIRE(send_all(fd, get("second")));
  const RawReply second = read_reply(fd, std::chrono::seconds(10));
  CHECK(second.status == 200);
  CHECK(second.body.rfind("second ", 0) == 0);
  CHECK(tid_in(second) == tid);  // the same connection, the same thread
  ::close(fd);
}

TEST_CASE("keep-alive: requests pipelined in one packet are all answered, in order") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, get("first") + get("second") + get("third")));
  // Read until the three bodies arrived (httplib 0.11 drops what its per-request buffer held:
  // only "first" came back).
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  timeval tv{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (received.find("third ") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n > 0) received.append(buf, static_cast<size_t>(n));
  }
  const auto a = received.find("first "), b = received.find("second "), c = received.find("third ");
  CHECK(a != std::string::npos);
  CHECK(b != std::string::npos);
  CHECK(c != std::string::npos);
  CHECK(a < b);
  CHECK(b < c);
  ::close(fd);
}

TEST_CASE("keep-alive: stop() closes the connections that wait for a next request") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, get("first")));
  REQUIRE(read_reply(fd, std::chrono::seconds(10)).status == 200);
  l.server.stop();  // returns once every connection's thread is done
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  CHECK(::recv(fd, &c, 1, 0) == 0);  // closed by the server, not timed out
  ::close(fd);
}

// The data segments this socket has received so far: tcpi_data_segs_in of the kernel's
// tcp_info (Linux 4.6+), which glibc's <netinet/tcp.h> struct stops short of.
static std::uint32_t data_segments_in(int fd) {
  struct {
    ::tcp_info base;  // glibc's part, up to tcpi_total_retrans
    std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    std::uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
  } info{};
  socklen_t len = sizeof info;
  REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0);
  REQUIRE(len >= offsetof(decltype(info), data_segs_out));
  return info.data_segs_in;
}

// The data segments the answer to `request` arrived in, on a keep-alive connection that
// already carried one request (read whole: nothing of it is still in flight).
static std::uint32_t segments_of_answer(const Listener& l, const std::string& request, RawReply& answer) {
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, get("warm")));
  REQUIRE(read_reply(fd, std::chrono::seconds(10)).status == 200);
  const std::uint32_t before = data_segments_in(fd);
  REQUIRE(send_all(fd, request));
  answer = read_reply(fd, std::chrono::seconds(10));
  const std::uint32_t segments = data_segments_in(fd) - before;
  ::close(fd);
  return segments;
}

TEST_CASE("keep-alive: a response's head and body leave in one segment") {
  // httplib writes the head and the body with two writes; with TCP_NODELAY each was its own
  // segment, and the client woke for the head and again for the body.
  Listener l;
  RawReply answer;
  CHECK(segments_of_answer(l, get("second"), answer) == 1);
  CHECK(answer.status == 200);
  CHECK(answer.body.rfind("second ", 0) == 0);
}

TEST_CASE("keep-alive: a stream's head leaves with its first chunk") {
  Listener l;
  RawReply answer;
  // The head with the first chunk, then the last chunk (was: head, chunk, last chunk).
  CHECK(segments_of_answer(l, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n", answer) == 2);
  CHECK(answer.status == 200);
  CHECK(answer.body == "data: one\n\n");
}
