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
                              "content-encoding", "Set-Cookie", "proxy-authenticate", "X-QuotaGuard-Account", "te", "",
                              "Authorization", "x-api-key", "X-Goog-Api-Key", "proxy-authorization"})
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

// The relay must build the reply exactly as httplib's own emplace would (its case-insensitive
// order, repeated names in the order received), names that differ in case only and bytes
// >= 0x80 included: a faster relay (this one scans instead of looking up) is held to it.
TEST_CASE("upstream headers: relayed headers sit where httplib's map puts them") {
  const HeaderList upstream = {{"x-ratelimit-reset-tokens", "360ms"}, {"Vary", "Origin"}, {"openai-model", "m"},
                               {"X-RateLimit-Limit-Tokens", "100"}, {"vary", "Accept"}, {"x-ratelimit-limit-requests", "5"},
                               {"\xc3\xa9tag", "e"}, {"a", "1"}, {"Z-Last", "z"}, {"x-ratelimit-limit-tokens", "200"},
                               {"Server", "nginx"}, {"date", "today"}};
  httplib::Response relayed, plain;
  for (auto* r : {&relayed, &plain}) {
    r->set_header(kRequestIdHeader, "id-1");
    r->set_header("x-quotaguard-model", "m");
    r->set_header("X-QuotaGuard-Account", "a1");
  }
  relay_upstream_headers(relayed, upstream);
  // What the relay adds, inserted by httplib's emplace: every value of a name, at its first place.
  for (std::size_t i = 0; i < upstream.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i; ++j) seen = seen || header_name_equals(upstream[j].first, upstream[i].first);
    if (seen) continue;
    for (std::size_t j = i; j < upstream.size(); ++j)
      if (header_name_equals(upstream[j].first, upstream[i].first)) plain.headers.emplace(upstream[j].first, upstream[j].second);
  }
  std::vector<std::pair<std::string, std::string>> got(relayed.headers.begin(), relayed.headers.end());
  std::vector<std::pair<std::string, std::string>> want(plain.headers.begin(), plain.headers.end());
  CHECK(got == want);
}

TEST_CASE("upstream headers: reply_header answers as get_header_value") {
  httplib::Response res;
  res.set_header("X-Quotaguard-Account", "first");
  res.set_header("x-quotaguard-account", "second");
  res.set_header("x-quotaguard-model", "gpt");
  res.set_header(kRequestIdHeader, "id-9");
  for (const char* name : {"x-quotaguard-account", "X-QUOTAGUARD-ACCOUNT", "x-quotaguard-model", "x-request-id",
                           "x-quotaguard-reservation", "x-quotaguard-accoun", ""})
    CHECK_MESSAGE(std::string(reply_header(res, name)) == res.get_header_value(name), name);
  CHECK(reply_header(res, "x-quotaguard-account") == "first");
  CHECK(request_id_of(res) == "id-9");
}
