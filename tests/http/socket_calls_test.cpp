// The system calls one proxied request makes on its sockets (docs/PERFORMANCE.md, "eighth
// pass"): an answer with a Content-Length leaves without a poll before its send, the upstream's
// reply is waited for with one poll after the request went out (no recv that finds nothing
// first), and what the polls kept still holds — a stream's writes notice a client that closed,
// a first-byte deadline still ends a wait. Real sockets on 127.0.0.1; this binary counts the
// calls by defining poll() and recv() itself (they count, then call the C library's), so it is
// a test binary of its own.
#include "http/http_server.hpp"
#include "http/upstream_call.hpp"
#include "tests/hostile/hostile_net.hpp"
#include "tests/http/open_listener.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <dlfcn.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

namespace {

std::atomic<int> g_write_polls{0};             // polls for POLLOUT, any thread
thread_local int t_empty_recvs = 0;            // recv() calls of this thread that found nothing (EAGAIN)

using PollFn = int (*)(pollfd*, nfds_t, int);
using RecvFn = ssize_t (*)(int, void*, size_t, int);

}  // namespace

extern "C" int poll(pollfd* fds, nfds_t n, int timeout) {
  static const auto real = reinterpret_cast<PollFn>(::dlsym(RTLD_NEXT, "poll"));
  for (nfds_t i = 0; i < n; ++i)
    if (fds[i].events & POLLOUT) {
      ++g_write_polls;
      break;
    }
  return real(fds, n, timeout);
}

extern "C" ssize_t recv(int fd, void* buf, size_t len, int flags) {
  static const auto real = reinterpret_cast<RecvFn>(::dlsym(RTLD_NEXT, "recv"));
  const ssize_t r = real(fd, buf, len, flags);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++t_empty_recvs;
  return r;
}

using namespace qg;
using namespace qg::test;

namespace {

// A listener on a free port: GET /plain answers a body with a Content-Length, GET /events a
// stream that writes an event, waits `gap`, writes another and records whether that write
// failed (the client had gone).
struct Listener {
  std::atomic<int> second_write_failed{-1};  // -1: not reached
  HttpServer server{free_port_options()};
  Listener() {
    open_listener(server, [this](httplib::Server& s) {
      s.Get("/plain", [](const httplib::Request&, httplib::Response& res) { res.set_content("hello", "text/plain"); });
      s.Get("/events", [this](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [this](std::size_t, httplib::DataSink& sink) {
          const std::string event = "data: one\n\n";
          sink.write(event.data(), event.size());
          std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the client closes meanwhile
          const std::string next(64 * 1024, 'x');  // more than a closed peer's window takes
          bool ok = true;
          for (int i = 0; i < 4 && ok; ++i) ok = sink.write(next.data(), next.size());
          second_write_failed = ok ? 0 : 1;
          sink.done();
          return true;
        });
      });
    });
  }
};

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// An upstream that answers each request `delay` after it came (or, answer false, never).
ScriptedUpstream slow_upstream(std::chrono::milliseconds delay, bool answer = true) {
  return ScriptedUpstream([delay, answer](const std::string&, const ScriptedUpstream::Conn& conn) {
    std::this_thread::sleep_for(delay);
    return !answer || conn.write(http_response(200, "application/json", "{}"));
  });
}

UpstreamTarget target_on(int port) {
  return make_upstream_target("http://127.0.0.1:" + std::to_string(port) + "/v1", "/chat/completions", "openai", "sk-test");
}

}  // namespace

TEST_CASE("socket calls: an answer with a Content-Length is sent without a poll first") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  const std::string get = "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(send_all(fd, get));
  REQUIRE(read_reply(fd, std::chrono::seconds(10)).status == 200);
  const int before = g_write_polls.load();
  REQUIRE(send_all(fd, get));
  const RawReply second = read_reply(fd, std::chrono::seconds(10));
  CHECK(second.status == 200);
  CHECK(second.body == "hello");
  // Was one poll (room to write, and has the client closed?) before the head and body's send.
  CHECK(g_write_polls.load() - before == 0);
  ::close(fd);
}

TEST_CASE("socket calls: a stream's later writes still notice a client that closed") {
  Listener l;
  const int fd = connect_local(l.server.port());
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[256];
  REQUIRE(::recv(fd, buf, sizeof buf, 0) > 0);  // the head and the first event
  ::close(fd);
  for (int i = 0; i < 200 && l.second_write_failed.load() < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(l.second_write_failed.load() == 1);
}

TEST_CASE("socket calls: the upstream's reply is waited for by one poll, no empty recv first") {
  ScriptedUpstream up = slow_upstream(std::chrono::milliseconds(50));
  t_empty_recvs = 0;
  const UpstreamReply r = call_upstream_plain(target_on(up.port()), "{}", UpstreamTimeouts{});
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  // Was one: a recv right after the request went out, which found nothing yet.
  CHECK(t_empty_recvs == 0);
}

TEST_CASE("socket calls: the first-byte deadline still ends the wait for an upstream that does not answer") {
  ScriptedUpstream up = slow_upstream(std::chrono::milliseconds(300), /*answer=*/false);
  UpstreamTimeouts t;
  t.first_byte_ms = 200;
  const auto start = std::chrono::steady_clock::now();
  const UpstreamReply r = call_upstream_plain(target_on(up.port()), "{}", t);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  CHECK(r.failure == OutcomeKind::timeout);
  CHECK(took >= std::chrono::milliseconds(190));
  CHECK(took < std::chrono::milliseconds(1500));
}
