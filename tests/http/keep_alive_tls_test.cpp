// The daemon's HTTPS listener between two requests of a keep-alive connection
// (http/keep_alive_ssl_server.hpp): several requests on one TLS connection, requests pipelined
// in one TLS record all answered (the session's decrypted bytes count as already there), the
// connection's thread sleeps while it is idle (httplib's SSLServer woke it ~180 times a
// second), and stop() ends idle connections and handshakes at once, not after their timeouts.
// HttpServer in process, real TLS on 127.0.0.1.
#include "http/http_server.hpp"
#include "tests/http/open_listener.hpp"
#include "tests/http/tls_peer.hpp"
#include "tests/hostile/hostile_net.hpp"
#include "tests/http/thread_sleeps.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace qg;
using namespace qg::test;

namespace {

using Clock = std::chrono::steady_clock;

// An HTTPS listener on a free port whose GET /echo/<word> answers "<word> <thread id>".
struct Listener {
  HttpServer server{tls_free_port_options()};
  Listener() {
    open_listener(server, [](httplib::Server& s) {
      s.Get(R"(/echo/(\w+))", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.matches[1].str() + " " + std::to_string(::gettid()), "text/plain");
      });
    });
  }
};

std::string get(const std::string& word) { return "GET /echo/" + word + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

// The bodies of the next `count` answers (Content-Length), or fewer when they do not come within `wait`.
std::vector<std::string> read_bodies(TlsClient& c, size_t count, std::chrono::milliseconds wait) {
  std::vector<std::string> bodies;
  std::string in;
  const auto deadline = Clock::now() + wait;
  while (bodies.size() < count && Clock::now() < deadline) {
    const size_t head_end = in.find("\r\n\r\n");
    const size_t length_at = in.find("Content-Length: ");
    if (head_end != std::string::npos && length_at != std::string::npos && length_at < head_end) {
      const size_t length = std::stoul(in.substr(length_at + 16));
      if (in.size() >= head_end + 4 + length) {
        bodies.push_back(in.substr(head_end + 4, length));
        in.erase(0, head_end + 4 + length);
        continue;
      }
    }
    if (c.read_some(in, std::chrono::milliseconds(100)) == TlsClient::Read::closed) break;
  }
  return bodies;
}

long tid_in(const std::string& body) { return std::stol(body.substr(body.find(' ') + 1)); }

// Reads until the server ends the connection (true) or `wait` passes.
bool ends_within(TlsClient& c, std::chrono::milliseconds wait) {
  std::string ignored;
  const auto deadline = Clock::now() + wait;
  while (Clock::now() < deadline)
    if (c.read_some(ignored, std::chrono::milliseconds(100)) == TlsClient::Read::closed) return true;
  return false;
}

}  // namespace

TEST_CASE("keep-alive over TLS: requests on one connection, its thread asleep while the connection idles") {
  Listener l;
  TlsClient c(l.server.port());
  REQUIRE(c.ok());
  REQUIRE(c.send_record(get("first")));
  const auto first = read_bodies(c, 1, std::chrono::seconds(5));
  REQUIRE(first.size() == 1);
  CHECK(first[0].rfind("first ", 0) == 0);
  const long tid = tid_in(first[0]);
  const long idle_wakeups = wakeups_while_idle(tid);
  REQUIRE(idle_wakeups >= 0);
  CHECK_MESSAGE(idle_wakeups <= 2, idle_wakeups << " wake-ups while the connection was idle");
  for (const char* word : {"second", "third"}) {
    REQUIRE(c.send_record(get(word)));
    const auto next = read_bodies(c, 1, std::chrono::seconds(5));
    REQUIRE(next.size() == 1);
    CHECK(next[0].rfind(std::string(word) + " ", 0) == 0);
    CHECK(tid_in(next[0]) == tid);  // the same connection, the same thread
  }
}

TEST_CASE("keep-alive over TLS: requests pipelined in one TLS record are all answered, in order") {
  Listener l;
  TlsClient c(l.server.port());
  REQUIRE(c.ok());
  REQUIRE(c.send_record(get("first") + get("second") + get("third")));
  // httplib's SSLServer waited for the socket while the next two were already decrypted: they
  // were answered only by the keep-alive timeout's end of the connection (never).
  const auto bodies = read_bodies(c, 3, std::chrono::seconds(3));
  REQUIRE(bodies.size() == 3);
  CHECK(bodies[0].rfind("first ", 0) == 0);
  CHECK(bodies[1].rfind("second ", 0) == 0);
  CHECK(bodies[2].rfind("third ", 0) == 0);
}

TEST_CASE("keep-alive over TLS: stop() ends a connection that waits for a next request at once") {
  Listener l;
  TlsClient c(l.server.port());
  REQUIRE(c.ok());
  REQUIRE(c.send_record(get("first")));
  REQUIRE(read_bodies(c, 1, std::chrono::seconds(5)).size() == 1);
  const auto start = Clock::now();
  l.server.stop();  // returns once every connection's thread is done
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  CHECK_MESSAGE(took < std::chrono::milliseconds(1000), "stop() took " << took.count() << " ms (keep-alive timeout 5 s)");
  CHECK(ends_within(c, std::chrono::seconds(1)));
}

TEST_CASE("keep-alive over TLS: stop() ends a handshake that waits for the client at once") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  // The start of a TLS record (so the kernel hands the connection over), then nothing.
  const char partial[] = {0x16, 0x03, 0x01};
  REQUIRE(::send(fd, partial, sizeof partial, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof partial));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the handshake waits
  const auto start = Clock::now();
  l.server.stop();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  CHECK_MESSAGE(took < std::chrono::milliseconds(1000), "stop() took " << took.count() << " ms (read timeout 5 s)");
  ::close(fd);
}
