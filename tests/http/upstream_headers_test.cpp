// tests/http/upstream_headers_test.cpp — which provider headers reach the client, and how.
#include "http/upstream_headers.hpp"
#include "http/request_id.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

using namespace qg;

TEST_CASE("upstream headers: the provider's own are relayed, connection and cookies are not") {
  for (const char* kept : {"request-id", "anthropic-ratelimit-requests-remaining", "X-RateLimit-Reset-Tokens",
                           "x-codex-primary-used-percent", "retry-after", "openai-processing-ms", "x-fake-cliproxy-auth"})
    CHECK_MESSAGE(relayed_upstream_header(kept), kept);
  for (const char* dropped : {"Connection", "keep-alive", "Transfer-Encoding", "content-length", "Content-Type",
                              "content-encoding", "Set-Cookie", "proxy-authenticate", "X-QuotaGuard-Account", "te", ""})
    CHECK_FALSE_MESSAGE(relayed_upstream_header(dropped), dropped);

  httplib::Response res;
  res.set_header(kRequestIdHeader, "client-id-1");
  res.set_header("x-quotaguard-account", "a1");
  relay_upstream_headers(res, {{"x-request-id", "req_upstream"}, {"Set-Cookie", "__cf=1"},
                               {"x-ratelimit-remaining-requests", "4"}, {"Vary", "Origin"}, {"vary", "Accept"},
                               {"x-quotaguard-account", "someone-else"}, {"Content-Length", "12"}});
  CHECK(res.get_header_value(kRequestIdHeader) == "client-id-1");  // QuotaGuard's id stays
  CHECK(res.get_header_value_count(kRequestIdHeader) == 1);
  CHECK(res.get_header_value(kUpstreamRequestIdHeader) == "req_upstream");
  CHECK(res.get_header_value("x-ratelimit-remaining-requests") == "4");
  CHECK(res.get_header_value_count("vary") == 2);  // every value of a repeated header
  CHECK(res.get_header_value("x-quotaguard-account") == "a1");
  CHECK(res.get_header_value_count("x-quotaguard-account") == 1);
  CHECK_FALSE(res.has_header("set-cookie"));
  CHECK_FALSE(res.has_header("content-length"));
}
