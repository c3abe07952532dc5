// Upstream calls read on the caller's thread (http/upstream_stream.cpp), streamed and plain:
// against real servers on 127.0.0.1 — plain HTTP with keep-alive reuse (one pool for both
// kinds), HTTPS with the certificate checked against the trust store (SSL_CERT_FILE), an
// untrusted certificate refused, and cancel.
#include "http/upstream_call.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <vector>
#include <mutex>
#include <set>
#include <thread>

using namespace qg;
using qg::test::TempDir;

namespace {

// An SSE endpoint sending `events` chunks (chunked transfer coding); records client ports.
struct SseServer {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  std::mutex m;
  std::set<int> client_ports;
  std::vector<std::string> accept_encodings;  // as each request asked
  std::string get_body = "unset";             // what a GET carried

  explicit SseServer(std::unique_ptr<httplib::Server> s, int events = 3) : server(std::move(s)) {
    server->set_tcp_nodelay(true);
    server->Post("/v1/chat/completions", [this, events](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(m);
        client_ports.insert(req.remote_port);
        accept_encodings.push_back(req.get_header_value("Accept-Encoding"));
      }
      res.set_header("x-ratelimit-remaining-requests", "41");
      res.set_chunked_content_provider("text/event-stream", [events](std::size_t offset, httplib::DataSink& sink) {
        const int i = static_cast<int>(offset) / 11;  // each event is 11 bytes
        if (i >= events) {
          sink.done();
          return true;
        }
        const std::string e = "data: e" + std::to_string(i) + "\n\n\n";
        sink.write(e.data(), e.size());
        return true;
      });
    });
    server->Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(m);
        client_ports.insert(req.remote_port);
        get_body = req.body + (req.has_header("Content-Type") ? "+content-type" : "");
      }
      res.set_content(R"({"data":[]})", "application/json");
    });
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~SseServer() {
    server->stop();
    thread.join();
  }
};

void make_cert(const TempDir& dir, const std::string& name) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=upstream-test "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout " + dir.file(name + ".key") + " -out " +
                          dir.file(name + ".crt") + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

UpstreamTarget target(const std::string& scheme, int port) {
  UpstreamTarget t = make_upstream_target(scheme + "://127.0.0.1:" + std::to_string(port) + "/v1",
                                          "/chat/completions", "openai", "sk-test");
  return t;
}

// Reads the whole stream after open(); "" and false on a failure.
bool read_all(UpstreamStream& s, std::string& body) {
  body = s.peek();
  std::string ignored;
  s.next(ignored, std::chrono::milliseconds(0));  // the bytes peek() showed
  for (int i = 0; i < 200; ++i) {
    switch (s.next(body, std::chrono::milliseconds(50))) {
      case UpstreamStream::Next::end: return true;
      case UpstreamStream::Next::failed: return false;
      default: break;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("a plain-HTTP stream is read to its end on the calling thread, and its connection reused") {
  SseServer sse(std::make_unique<httplib::Server>());
  for (int round = 0; round < 3; ++round) {
    UpstreamStream s(target("http", sse.port), R"({"stream":true})", UpstreamTimeouts{});
    const UpstreamReply r = s.open();
    REQUIRE_MESSAGE(r.status == 200, r.detail);
    CHECK(find_header(r.headers, "x-ratelimit-remaining-requests") == std::optional<std::string_view>("41"));
    std::string body;
    REQUIRE(read_all(s, body));
    CHECK(body == "data: e0\n\n\ndata: e1\n\n\ndata: e2\n\n\n");
  }
  std::lock_guard lock(sse.m);
  CHECK(sse.client_ports.size() == 1);  // one keep-alive connection served all three
}

TEST_CASE("a plain call reads its whole body on the calling thread, over the streams' pooled connections") {
  SseServer sse(std::make_unique<httplib::Server>());
  for (int round = 0; round < 2; ++round) {
    const UpstreamReply r = call_upstream_plain(target("http", sse.port), "{}", UpstreamTimeouts{});
    REQUIRE_MESSAGE(r.status == 200, r.detail);
    CHECK(r.body == "data: e0\n\n\ndata: e1\n\n\ndata: e2\n\n\n");  // chunked, decoded
    CHECK(find_header(r.headers, "x-ratelimit-remaining-requests") == std::optional<std::string_view>("41"));
  }
  UpstreamStream s(target("http", sse.port), R"({"stream":true})", UpstreamTimeouts{});
  REQUIRE(s.open().status == 200);
  std::string body;
  REQUIRE(read_all(s, body));
  UpstreamTarget get = target("http", sse.port);
  get.method = "GET";
  get.path = "/v1/models";
  const UpstreamReply models = call_upstream_plain(get, "ignored", UpstreamTimeouts{});
  CHECK(models.status == 200);
  CHECK(models.body == R"({"data":[]})");
  std::lock_guard lock(sse.m);
  CHECK(sse.client_ports.size() == 1);  // one keep-alive connection for plain calls and the stream
  CHECK(sse.get_body.empty());          // a GET carries no body and no Content-Type
  // The body is relayed and parsed as it comes: never a compressed one.
  CHECK(sse.accept_encodings == std::vector<std::string>{"identity", "identity", "identity"});
}

TEST_CASE("an HTTPS stream verifies the upstream's certificate, an untrusted one is refused") {
  TempDir dir("qg-upstream-tls");
  make_cert(dir, "trusted");
  make_cert(dir, "other");
  ::setenv("SSL_CERT_FILE", dir.file("trusted.crt").c_str(), 1);  // read when the first TLS call starts
  SseServer trusted(std::make_unique<httplib::SSLServer>(dir.file("trusted.crt").c_str(), dir.file("trusted.key").c_str()));
  SseServer other(std::make_unique<httplib::SSLServer>(dir.file("other.crt").c_str(), dir.file("other.key").c_str()));

  UpstreamStream ok(target("https", trusted.port), R"({"stream":true})", UpstreamTimeouts{});
  const UpstreamReply r = ok.open();
  REQUIRE_MESSAGE(r.status == 200, r.detail);
  std::string body;
  REQUIRE(read_all(ok, body));
  CHECK(body == "data: e0\n\n\ndata: e1\n\n\ndata: e2\n\n\n");

  UpstreamStream refused(target("https", other.port), R"({"stream":true})", UpstreamTimeouts{});
  const UpstreamReply bad = refused.open();
  CHECK(bad.status == 0);
  CHECK(bad.failure == OutcomeKind::connect_error);
  CHECK_MESSAGE(bad.detail.find("certificate") != std::string::npos, bad.detail);
}

TEST_CASE("connect failures and cancel end the stream with a failure") {
  UpstreamTimeouts t;
  t.connect_ms = 500;
  UpstreamStream nobody(target("http", 1), "{}", t);  // nothing listens on port 1
  const UpstreamReply r = nobody.open();
  CHECK(r.status == 0);
  CHECK(r.failure == OutcomeKind::connect_error);

  SseServer sse(std::make_unique<httplib::Server>(), /*events=*/1000);
  UpstreamStream s(target("http", sse.port), R"({"stream":true})", t);
  REQUIRE(s.open().status == 200);
  s.cancel();
  std::string out;
  CHECK(s.next(out, std::chrono::milliseconds(10)) == UpstreamStream::Next::failed);
  CHECK(s.failure_kind() == OutcomeKind::cancelled);
}

TEST_CASE("no descriptor left in this process: the stream fails as local_exhausted, not as the upstream's fault") {
  SseServer sse(std::make_unique<httplib::Server>(), /*events=*/1);
  UpstreamTimeouts t;
  t.connect_ms = 500;
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // Lower the soft limit to just above what is open now, then use up the rest.
  std::vector<int> held;
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(::dup(0) + 1);
  ::close(static_cast<int>(low.rlim_cur - 1));
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  for (int fd; (fd = ::dup(0)) >= 0;) held.push_back(fd);
  UpstreamStream s(target("http", sse.port), R"({"stream":true})", t);
  const UpstreamReply r = s.open();
  for (int fd : held) ::close(fd);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(r.status == 0);
  CHECK(r.failure == OutcomeKind::local_exhausted);
  CHECK_MESSAGE(r.detail.find("no socket") != std::string::npos, r.detail);
}
