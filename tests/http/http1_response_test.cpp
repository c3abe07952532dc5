// Unit tests of the incremental HTTP/1.1 response reader (http/http1_response.hpp) that the
// streamed upstream calls use: heads, and bodies framed by chunks, length or close, fed in
// arbitrary pieces.
#include "http/http1_response.hpp"

#include <doctest/doctest.h>

using namespace qg;

namespace {
ResponseHead head_of(std::string_view text) {
  auto h = parse_response_head(text);
  REQUIRE(h.has_value());
  return *h;
}

// Feeds `raw` in pieces of `step` bytes; returns the decoded body.
std::string decode(BodyDecoder& d, std::string_view raw, std::size_t step) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); i += step) d.feed(raw.substr(i, step), out);
  return out;
}
}  // namespace

TEST_CASE("a response head: status, version, headers, where it ends") {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Ratelimit-Limit-Requests:  5000 \r\n\r\ndata: x";
  const auto end = response_head_end(text);
  REQUIRE(end == text.find("data:"));
  const auto h = head_of(std::string_view(text).substr(0, end));
  CHECK(h.status == 200);
  CHECK(h.http11);
  REQUIRE(h.headers.size() == 2);
  CHECK(h.headers[1].first == "X-Ratelimit-Limit-Requests");
  CHECK(h.headers[1].second == "5000");
  CHECK(response_head_end("HTTP/1.1 200 OK\r\nA: b\r\n") == std::string::npos);
  const std::string lf_only = "HTTP/1.0 404 Not Found\nA: b\n\nrest";
  CHECK(response_head_end(lf_only) == lf_only.find("rest"));
  CHECK_FALSE(head_of("HTTP/1.0 404 Not Found\n\n").http11);
}

TEST_CASE("malformed heads are refused") {
  CHECK_FALSE(parse_response_head("HTTP/2 200 OK\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200OK\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n").has_value());
  // A field name that is not a token, a value with a control character: copied into the
  // client's head by the relay, a lenient client would read them as framing headers.
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length\x0c: 5\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding\x0b: chunked\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nx\xc3\xa9: 1\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head(std::string_view("HTTP/1.1 200 OK\r\nx-a: a\0b\r\n\r\n", 27)).has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nx-a: a\rb\r\n\r\n").has_value());
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nx-a: a\x7f\r\n\r\n").has_value());
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nx-a: a\tb \xc3\xa9\r\nx!#$%&'*+.^_`|~: 1\r\n\r\n").has_value());
  CHECK(parse_response_head("HTTP/1.1 204\r\n\r\n").has_value());  // no reason phrase
}

TEST_CASE("an upstream head of more than 256 header lines is refused") {
  std::string text = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 256; ++i) text += "x-h" + std::to_string(i) + ": v\r\n";
  CHECK(parse_response_head(text + "\r\n").has_value());
  CHECK_FALSE(parse_response_head(text + "x-one-more: v\r\n\r\n").has_value());
}

TEST_CASE("framing a desynchronising upstream: Content-Length with chunked, conflicting lengths") {
  // Both: the chunked coding frames the body and the connection is never reused.
  BodyDecoder both(head_of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
  CHECK(both.framing() == BodyDecoder::Framing::chunked);
  CHECK(decode(both, "5\r\nhello\r\n0\r\n\r\n", 3) == "hello");
  CHECK(both.done());
  CHECK_FALSE(both.reusable());
  // Two lengths that differ: where the body ends is unknown.
  BodyDecoder conflict(head_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n"));
  CHECK(conflict.failed());
  CHECK_FALSE(conflict.reusable());
  // The same length twice is one length.
  BodyDecoder same(head_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length:  5\r\n\r\n"));
  CHECK_FALSE(same.failed());
  CHECK(decode(same, "hello", 2) == "hello");
  CHECK(same.reusable());
}

TEST_CASE("a chunked body fed in any piece size, with extensions and trailers") {
  const std::string raw = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {1, 2, 3, 7, 64}) {
    BodyDecoder d(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    CHECK(d.framing() == BodyDecoder::Framing::chunked);
    CHECK(decode(d, raw, step) == "hello, world");
    CHECK(d.done());
    CHECK(d.reusable());
  }
}

TEST_CASE("broken chunked bodies fail, and a close before the end is a failure") {
  BodyDecoder bad_size(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  decode(bad_size, "zz\r\n", 4);
  CHECK(bad_size.failed());
  BodyDecoder too_long(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  decode(too_long, "2\r\nabc\r\n", 8);
  CHECK(too_long.failed());
  BodyDecoder cut(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  CHECK(decode(cut, "5\r\nhel", 3) == "hel");
  cut.closed();
  CHECK(cut.failed());
  CHECK_FALSE(cut.done());
  // A size past 64 bits is malformed, not read as the last chunk.
  BodyDecoder huge(head_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  decode(huge, "1ffffffffffffffff\r\nabc", 5);
  CHECK(huge.failed());
  CHECK_FALSE(huge.done());
}

TEST_CASE("Content-Length bodies end at their length, extra bytes spoil the connection") {
  BodyDecoder d(head_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
  CHECK(decode(d, "hello", 2) == "hello");
  CHECK(d.done());
  CHECK(d.reusable());
  BodyDecoder extra(head_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"));
  CHECK(decode(extra, "hello", 5) == "he");
  CHECK(extra.done());
  CHECK_FALSE(extra.reusable());
  BodyDecoder short_body(head_of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"));
  decode(short_body, "hello", 5);
  short_body.closed();
  CHECK(short_body.failed());
  BodyDecoder bad(head_of("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
  CHECK(bad.failed());
  // A length past 64 bits is malformed, not an empty body.
  BodyDecoder huge(head_of("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"));
  CHECK(huge.failed());
  CHECK_FALSE(huge.done());
}

TEST_CASE("a body without framing ends with the connection, which is not reused") {
  BodyDecoder d(head_of("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"));
  CHECK(d.framing() == BodyDecoder::Framing::until_close);
  CHECK(decode(d, "data: 1\n\ndata: 2\n\n", 4) == "data: 1\n\ndata: 2\n\n");
  CHECK_FALSE(d.done());
  d.closed();
  CHECK(d.done());
  CHECK_FALSE(d.reusable());
}

TEST_CASE("keep-alive follows the version and the Connection header, no-body statuses are done at once") {
  BodyDecoder close(head_of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  CHECK(close.done());
  CHECK_FALSE(close.reusable());
  BodyDecoder old(head_of("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  CHECK_FALSE(old.reusable());
  BodyDecoder old_kept(head_of("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
  CHECK(old_kept.reusable());
  BodyDecoder none(head_of("HTTP/1.1 204 No Content\r\n\r\n"));
  CHECK(none.done());
  CHECK(none.framing() == BodyDecoder::Framing::none);
}
