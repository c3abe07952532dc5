// The daemon's HTTP listener between two requests of a keep-alive connection
// (http/keep_alive_server.hpp): the connection's thread sleeps until the client sends, pipelined
// requests are all answered, stop() closes idle connections. HttpServer in process, raw sockets.
#include "http/http_server.hpp"
#include "tests/hostile/hostile_net.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

using namespace qg;
using namespace qg::test;

namespace {

// A listener on a free port whose GET /echo/<word> answers "<word> <thread id>".
struct Listener {
  HttpServer server{[] {
    HttpServerOptions o;
    o.port = 0;
    return o;
  }()};
  Listener() {
    server.with_server([](httplib::Server& s) {
      s.Get(R"(/echo/(\w+))", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.matches[1].str() + " " + std::to_string(::gettid()), "text/plain");
      });
    });
    std::string error;
    REQUIRE_MESSAGE(server.bind(error), error);
    server.start();
    server.open();
  }
};

std::string get(const std::string& word) { return "GET /echo/" + word + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// The thread's voluntary context switches so far: each time it went to sleep.
long sleeps_of(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(24));
  return -1;
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
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the thread is back to waiting
  const long before = sleeps_of(tid);
  REQUIRE(before >= 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long idle_wakeups = sleeps_of(tid) - before;
  // httplib 0.11's own loop polls 10 ms and sleeps 1 ms: ~50 wake-ups in this time.
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
