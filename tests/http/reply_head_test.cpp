// tests/http/reply_head_test.cpp — a reply's headers held until its head is written, and the
// head written in one piece (http/reply_head.hpp): the bytes must be those httplib writes from
// its own map, in process (the map's entries as its writer prints them) and on the wire
// (HttpServer against a bare httplib::Server with the same handler).
#include "http/reply_head.hpp"
#include "http/upstream_headers.hpp"
#include "http/request_id.hpp"
#include "tests/http/open_listener.hpp"
#include "tests/hostile/hostile_net.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

using namespace qg;
using namespace qg::test;

namespace {

// The header lines httplib 0.11's write_headers prints from a map: "%s: %s\r\n" per entry.
std::string written(const httplib::Headers& headers) {
  std::string out;
  for (const auto& [k, v] : headers) out += std::string(k.c_str()) + ": " + v.c_str() + "\r\n";
  return out;
}

// The provider's headers of a reply: mixed case, repeated names, a name past ASCII, a NUL.
const HeaderList kUpstream = {{"x-ratelimit-reset-tokens", "360ms"}, {"Vary", "Origin"}, {"openai-model", "m"},
                              {"X-RateLimit-Limit-Tokens", "100"}, {"vary", "Accept"}, {"Server", "nginx"},
                              {"\xc3\xa9tag", "e"}, {"a", "1"}, {"Z-Last", "z"}, {"x-ratelimit-limit-tokens", "200"},
                              {"x-request-id", "req_up"}, {"Cache-Control", "no-store"}, {"date", "today"},
                              {"x-nul", std::string("be\0fore", 7)}, {"Retry-After", "3"}};

// What a proxied reply gets, in the proxy's order: the request id first (pre-routing), the
// relay, QuotaGuard's headers, a Retry-After after the relay, the body's Content-Type.
void build_reply(httplib::Response& res) {
  res.set_header(kRequestIdHeader, "id-1");
  add_reply_header(res, "x-quotaguard-account", "a1");
  relay_upstream_headers(res, kUpstream);
  add_reply_header(res, "X-QuotaGuard-Model", "gpt");
  res.set_header("Retry-After", "1");
  add_reply_header(res, "x-quotaguard-account", "a2");  // a name given twice keeps both, in order
  res.set_content("{}", "application/json");
}

}  // namespace

TEST_CASE("reply head: a begun reply holds its headers, then writes what httplib's map would") {
  httplib::Response plain, begun;
  build_reply(plain);  // not begun: every header in httplib's map, as before
  begin_reply(begun);
  build_reply(begun);
  CHECK(begun.headers.size() == 3);  // the request id, Retry-After, Content-Type: the rest held
  CHECK(plain.headers.size() > 15);
  for (const char* name : {"x-quotaguard-account", "X-QUOTAGUARD-MODEL", "vary", "x-nul", "cache-control",
                           "retry-after", kUpstreamRequestIdHeader, "content-type", "absent"}) {
    CHECK_MESSAGE(reply_header(begun, name) == plain.get_header_value(name), name);
    CHECK_MESSAGE(reply_has_header(begun, name) == plain.has_header(name), name);
  }
  const std::string want = written(plain.headers);
  finish_reply_head(plain);
  finish_reply_head(begun);
  CHECK(written(begun.headers) == want);
  CHECK(written(plain.headers) == want);
  CHECK(begun.headers.size() == 1);  // one snprintf for the whole head
  CHECK(want.find("be\r\n") != std::string::npos);  // the NUL ends its value, not the head
}

TEST_CASE("reply head: a stream's Content-Type stays an entry httplib can read") {
  httplib::Response plain, begun;
  for (auto* r : {&plain, &begun}) {
    if (r == &begun) begin_reply(*r);
    r->set_header(kRequestIdHeader, "id-2");
    relay_upstream_headers(*r, kUpstream);
    r->set_chunked_content_provider("text/event-stream", [](std::size_t, httplib::DataSink&) { return true; });
    r->set_header("Transfer-Encoding", "chunked");
  }
  const std::string want = written(plain.headers);
  finish_reply_head(begun);
  CHECK(written(begun.headers) == want);
  CHECK(begun.get_header_value("Content-Type") == "text/event-stream");
  CHECK(begun.headers.size() == 3);  // the lines before it, Content-Type, the lines after it
}

TEST_CASE("reply head: a reply not begun on this thread, or begun before, is left to httplib") {
  httplib::Response first, second;
  begin_reply(first);
  begin_reply(second);  // the next request on this thread
  add_reply_header(first, "x-one", "1");
  CHECK(first.get_header_value("x-one") == "1");  // in the map at once
  std::thread([&] { add_reply_header(second, "x-two", "2"); }).join();
  CHECK(second.get_header_value("x-two") == "2");
  add_reply_header(second, "x-bad", "a\r\nx-injected: 1");
  CHECK_FALSE(reply_has_header(second, "x-bad"));
}

TEST_CASE("reply head: the daemon's listener writes the head byte for byte as httplib's own server") {
  const auto handler = [](const httplib::Request&, httplib::Response& res) {
    add_reply_header(res, "x-quotaguard-account", "a1");
    relay_upstream_headers(res, kUpstream);
    res.set_content(R"({"ok":true})", "application/json");
  };
  HttpServer ours{free_port_options()};
  open_listener(ours, [&](httplib::Server& s) { s.Post("/v1/chat/completions", handler); });
  httplib::Server bare;
  bare.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header(kRequestIdHeader, req.get_header_value(kRequestIdHeader));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  bare.Post("/v1/chat/completions", handler);
  bare.set_keep_alive_max_count(free_port_options().keep_alive_max_count);  // its Keep-Alive header
  const int bare_port = bare.bind_to_any_port("127.0.0.1");
  std::thread t([&] { bare.listen_after_bind(); });
  while (!bare.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-request-id: rid-7\r\nContent-Length: 2\r\n\r\n{}";
  const RawReply a = raw_request(ours.port(), request);
  const RawReply b = raw_request(bare_port, request);
  bare.stop();
  t.join();
  CHECK(a.status == 200);
  CHECK(a.head == b.head);
  CHECK(a.body == b.body);
  CHECK(a.head.find("x-quotaguard-upstream-request-id: req_up\r\n") != std::string::npos);
}
