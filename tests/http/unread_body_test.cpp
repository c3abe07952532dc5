// A request body the daemon's listener answers without reading must never be read as the next
// request (request smuggling): each case sends, on one connection, a request whose body is
// itself a complete request (GET /hit), and checks that exactly one answer came back, that the
// server closed the connection, and that /hit never ran. Covers the front door's refusals
// (framing, 413, 401), the startup answer before open(), a GET carrying a body (httplib reads
// bodies of POST/PUT/PATCH/DELETE only) and httplib's own 400 on a malformed chunked body; and
// that answers which read their whole request keep the connection. HttpServer in process; each
// case over plain HTTP and over HTTPS (the TLS listener, http/keep_alive_ssl_server.hpp: there
// the head, the body and the hidden request each go as a TLS record of their own, as a front
// proxy's writes would).
#include "http/http_server.hpp"
#include "tests/http/open_listener.hpp"
#include "tests/http/tls_peer.hpp"
#include "tests/hostile/hostile_net.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

using namespace qg;
using namespace qg::test;

namespace {

const std::string kHidden = "GET /hit HTTP/1.1\r\nHost: x\r\n\r\n";

// /v1/ bounds bodies to 8 bytes; /v2/ admits only "Authorization: Bearer ok". GET /hit counts.
struct Listener {
  HttpServer server;
  std::atomic<int> hits{0};

  explicit Listener(bool tls, bool open = true) : server(tls ? tls_free_port_options() : free_port_options()) {
    server.add_route_family(RouteFamily{"/v1/", 8, {}, {}});
    server.add_route_family(RouteFamily{"/v2/", 1024, [](const httplib::Request& req, httplib::Response& res) {
                                          if (req.get_header_value("Authorization") == "Bearer ok") return true;
                                          res.status = 401;
                                          return false;
                                        }, {}});
    server.with_server([this](httplib::Server& s) {
      s.Get("/hit", [this](const httplib::Request&, httplib::Response& res) {
        ++hits;
        res.set_content("hit", "text/plain");
      });
      for (const char* path : {"/v1/echo", "/v2/echo", "/plain"})
        s.Post(path, [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
    });
    std::string error;
    REQUIRE_MESSAGE(server.bind(error), error);
    server.start();
    if (open) server.open();
  }
};

// The TLS records a front proxy would write `bytes` in: the first head, then each hidden request
// on its own (and what comes between).
std::vector<std::string> records_of(const std::string& bytes) {
  std::vector<size_t> cuts;
  if (const size_t head = bytes.find("\r\n\r\n"); head != std::string::npos) cuts.push_back(head + 4);
  for (size_t at = bytes.find("GET /hit", 1); at != std::string::npos; at = bytes.find("GET /hit", at + 1)) cuts.push_back(at);
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::string> records;
  size_t from = 0;
  for (const size_t cut : cuts)
    if (cut > from && cut < bytes.size()) {
      records.push_back(bytes.substr(from, cut - from));
      from = cut;
    }
  records.push_back(bytes.substr(from));
  return records;
}

Received exchange_tls(int port, const std::string& bytes) {
  Received r;
  TlsClient client(port);
  REQUIRE(client.ok());
  for (const std::string& record : records_of(bytes)) REQUIRE(client.send_record(record));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.read_some(r.bytes, std::chrono::milliseconds(100)) == TlsClient::Read::closed) {
      r.closed = true;
      break;
    }
  }
  return r;
}

// Sends `bytes` on a new connection and reads until the server closes it or 1.5 s pass.
Received exchange(int port, const std::string& bytes, bool tls) {
  if (tls) return exchange_tls(port, bytes);
  return send_until_closed(port, bytes, std::chrono::milliseconds(1500));
}

std::string post(const std::string& path, const std::string& extra_headers, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// One answer with `status`, saying Connection: close, then the end of the connection; /hit never ran.
void check_refused_and_closed(const Listener& l, const Received& r, int status) {
  INFO("received: " << r.bytes);
  CHECK(r.bytes.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0);
  CHECK(r.answers() == 1);
  CHECK(r.bytes.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(r.closed);
  CHECK(l.hits.load() == 0);
}

struct Http {
  static constexpr bool tls = false;
};
struct Https {
  static constexpr bool tls = true;
};

}  // namespace

TYPE_TO_STRING(Http);
TYPE_TO_STRING(Https);

TEST_CASE_TEMPLATE("unread body: a 413 before the body is read ends the connection, the request in the body never runs",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  check_refused_and_closed(l, exchange(l.server.port(), post("/v1/echo", "", kHidden), Scheme::tls), 413);
}

TEST_CASE_TEMPLATE("unread body: a 401 before the body is read ends the connection, the request in the body never runs",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  const std::string bytes = post("/v2/echo", "Authorization: Bearer wrong\r\n", kHidden);
  check_refused_and_closed(l, exchange(l.server.port(), bytes, Scheme::tls), 401);
}

TEST_CASE_TEMPLATE("unread body: ambiguous framing (Content-Length with Transfer-Encoding) ends the connection",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  const std::string bytes = post("/plain", "Transfer-Encoding: chunked\r\n", kHidden);
  check_refused_and_closed(l, exchange(l.server.port(), bytes, Scheme::tls), 400);
}

TEST_CASE_TEMPLATE("unread body: httplib's own 400 on a malformed chunked body ends the connection",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  const std::string bytes = "POST /plain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + kHidden;
  check_refused_and_closed(l, exchange(l.server.port(), bytes, Scheme::tls), 400);
}

TEST_CASE_TEMPLATE("unread body: the startup answer before open() ends a connection whose body it did not read",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls, false);
  check_refused_and_closed(l, exchange(l.server.port(), post("/v1/echo", "", kHidden), Scheme::tls), 503);
  // Bodiless requests meanwhile (health probes) keep their connection: both pipelined answered.
  const Received probes = exchange(l.server.port(), kHidden + kHidden, Scheme::tls);
  CHECK(probes.answers() == 2);
  CHECK(probes.bytes.find("Connection: close") == std::string::npos);
  CHECK(l.hits.load() == 0);  // answered by the startup handler, not the route
}

TEST_CASE_TEMPLATE("unread body: a GET with a body is answered, then its connection ends, the body never runs",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  const std::string bytes = "GET /hit HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kHidden.size()) +
                            "\r\n\r\n" + kHidden;
  const Received r = exchange(l.server.port(), bytes, Scheme::tls);
  INFO("received: " << r.bytes);
  CHECK(r.bytes.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(r.answers() == 1);
  CHECK(r.closed);
  CHECK(l.hits.load() == 1);
}

TEST_CASE_TEMPLATE("unread body: an answer that read its whole request keeps the connection for the next one",
                   Scheme, Http, Https) {
  Listener l(Scheme::tls);
  const std::string bytes = post("/v1/echo", "", "12345678") + post("/plain", "", kHidden) + kHidden;
  const Received r = exchange(l.server.port(), bytes, Scheme::tls);
  INFO("received: " << r.bytes);
  CHECK(r.answers() == 3);
  CHECK(r.bytes.find("Connection: close") == std::string::npos);
  CHECK_FALSE(r.closed);
  CHECK(l.hits.load() == 1);
}
