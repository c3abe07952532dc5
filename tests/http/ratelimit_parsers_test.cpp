// tests/http/ratelimit_parsers_test.cpp — every upstream sample through the parsers.
#include "messages/proxy_backend.hpp"
#include "http/ratelimit_parsers.hpp"
#include "http/time_text.hpp"
#include "messages/ascii_text.hpp"
#include "tests/http/upstream_fixture.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <string>

using namespace qg;
using qg::test::load_upstream_fixture;

namespace {
constexpr TimeMs kNow = 1775809800000;      // 2026-04-10T08:30:00Z
constexpr TimeMs kCodexReset = 1775819520000;  // 2026-04-10T11:12:00Z = now + 9720 s

RateLimitSignals parse_fixture(const std::string& name, int* status = nullptr) {
  auto r = load_upstream_fixture(name);
  if (status) *status = r.status;
  return parse_rate_limit_signals(r.status, r.headers, r.body, kNow);
}

const ObservedWindow* find_window(const RateLimitSignals& s, Metric m, std::int64_t window_s = -1) {
  for (const auto& w : s.windows)
    if (w.metric == m && (window_s < 0 || w.window_s == window_s)) return &w;
  return nullptr;
}
}  // namespace

TEST_CASE("time text: go durations, RFC 3339, HTTP dates, unix times") {
  CHECK(parse_go_duration_ms("6m0s") == 360000);
  CHECK(parse_go_duration_ms("1s") == 1000);
  CHECK(parse_go_duration_ms("20ms") == 20);
  CHECK(parse_go_duration_ms("2h42m0s") == 9720000);
  CHECK(parse_go_duration_ms("53.417207s") == 53418);
  CHECK(parse_go_duration_ms("38") == 38000);
  CHECK_FALSE(parse_go_duration_ms("soon").has_value());
  CHECK_FALSE(parse_go_duration_ms("5x").has_value());
  CHECK_FALSE(parse_go_duration_ms("").has_value());
  CHECK(parse_rfc3339_ms("2026-04-10T06:40:59Z") == 1775803259000);
  CHECK(parse_rfc3339_ms("2026-04-10T08:40:59.500+02:00") == 1775803259500);
  CHECK_FALSE(parse_rfc3339_ms("2026-13-10T06:40:59Z").has_value());
  CHECK_FALSE(parse_rfc3339_ms("yesterday").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2026-02-31T06:40:59Z").has_value());  // no such day
  // Hundreds of fraction digits: parsed (milliseconds truncated), never an exception.
  CHECK(parse_rfc3339_ms("2026-04-10T06:40:59." + std::string(400, '0') + "1Z") == 1775803259000);
  CHECK(parse_http_date_ms("Fri, 10 Apr 2026 06:40:59 GMT") == 1775803259000);
  CHECK_FALSE(parse_http_date_ms("Fri, 10 Foo 2026 06:40:59 GMT").has_value());
  CHECK(parse_unix_time_ms("1775819520") == kCodexReset);
  CHECK(parse_unix_time_ms("1775819520000") == kCodexReset);
}

TEST_CASE("time text: parse_number gives strtod's value, digits-only counts included") {
  for (const char* t : {"0", "7", "0042", "4999", "159000", " 360 ", "123456789012345", "999999999999999",
                        "1000000000000000", "1234567890123456", "12.5", "-3", "-0", ".5", "5.", "00.10"}) {
    const std::string text(trim_space(t));
    const double want = std::strtod(text.c_str(), nullptr);
    const auto got = parse_number(t);
    if (std::fabs(want) > 1e15) {
      CHECK_FALSE_MESSAGE(got.has_value(), t);
      continue;
    }
    REQUIRE_MESSAGE(got.has_value(), t);
    CHECK_MESSAGE(*got == want, t);
    CHECK_MESSAGE(std::signbit(*got) == std::signbit(want), t);
  }
  for (const char* t : {"", " ", "1e5", "0x10", "12ms", "--1", "1.2.3"}) CHECK_FALSE_MESSAGE(parse_number(t).has_value(), t);
}

TEST_CASE("openai: x-ratelimit headers on a 200") {
  int status = 0;
  auto s = parse_fixture("openai-api-ratelimit-headers.http", &status);
  REQUIRE(s.windows.size() == 2);
  auto* req = find_window(s, Metric::requests);
  auto* tok = find_window(s, Metric::tokens);
  REQUIRE(req);
  REQUIRE(tok);
  CHECK(req->limit == 5000);
  CHECK(req->used == 1);
  CHECK(req->reset_at == kNow + 12);
  CHECK(tok->limit == 160000);
  CHECK(tok->used == 24);
  CHECK(tok->reset_at == kNow + 360000);
  CHECK(s.cooldown_until == 0);
  CHECK_FALSE(s.quota_exhausted);
  CHECK(classify_status(status, s) == OutcomeKind::success);
}

TEST_CASE("openai: 429 with Retry-After and an exhausted request window") {
  int status = 0;
  auto s = parse_fixture("openai-api-429.http", &status);
  auto* req = find_window(s, Metric::requests);
  REQUIRE(req);
  CHECK(req->limit == 60);
  CHECK(req->used == 60);
  CHECK(req->reset_at == kNow + 19000);
  CHECK(s.cooldown_until == kNow + 20000);  // Retry-After 20 beats "try again in 19s"
  CHECK(s.cooldown_detail.find("Retry-After") != std::string::npos);
  CHECK(s.quota_exhausted);
  CHECK(classify_status(status, s) == OutcomeKind::rate_limited);
}

TEST_CASE("anthropic: four metric windows with RFC 3339 resets") {
  auto s = parse_fixture("anthropic-api-ratelimit-headers.http");
  REQUIRE(s.windows.size() == 4);
  CHECK(find_window(s, Metric::requests)->limit == 1000);
  CHECK(find_window(s, Metric::requests)->used == 1);
  CHECK(find_window(s, Metric::requests)->reset_at == 1775803259000);
  CHECK(find_window(s, Metric::tokens)->limit == 96000);
  CHECK(find_window(s, Metric::tokens)->used == 0);
  CHECK(find_window(s, Metric::input_tokens)->limit == 80000);
  CHECK(find_window(s, Metric::output_tokens)->limit == 16000);
  CHECK(find_window(s, Metric::output_tokens)->reset_at == 1775803260000);
  CHECK(s.cooldown_until == 0);
}

TEST_CASE("anthropic unified: rejected 5h window cools the account until its reset") {
  int status = 0;
  auto s = parse_fixture("claude-oauth-429-unified-ratelimit.http", &status);
  auto* five_h = find_window(s, Metric::requests, 5 * 3600);
  REQUIRE(five_h);
  CHECK(five_h->limit == kPercentScale);
  CHECK(five_h->used == kPercentScale);
  CHECK(five_h->reset_at == kCodexReset);
  CHECK(find_window(s, Metric::requests, 7 * 86400) == nullptr);  // allowed, no utilization known
  CHECK(s.cooldown_until == kCodexReset);
  CHECK(s.quota_exhausted);
  CHECK(classify_status(status, s) == OutcomeKind::rate_limited);
}

TEST_CASE("anthropic unified: utilization header becomes a percent window") {
  HeaderList h = {{"Anthropic-Ratelimit-Unified-7d-Utilization", "0.41"},
                  {"anthropic-ratelimit-unified-7d-reset", "1776300000"},
                  {"anthropic-ratelimit-unified-7d-status", "allowed"}};
  auto s = parse_rate_limit_signals(200, h, "", kNow);
  REQUIRE(s.windows.size() == 1);
  CHECK(s.windows[0].used == 4100);
  CHECK(s.windows[0].window_s == 7 * 86400);
  CHECK(s.windows[0].reset_at == 1776300000000);
}

TEST_CASE("codex: primary and secondary percent windows on a 200") {
  auto s = parse_fixture("codex-200-ratelimit-headers.http");
  REQUIRE(s.windows.size() == 2);
  auto* primary = find_window(s, Metric::requests, 300 * 60);
  auto* secondary = find_window(s, Metric::requests, 10080 * 60);
  REQUIRE(primary);
  REQUIRE(secondary);
  CHECK(primary->used == 4250);
  CHECK(primary->limit == kPercentScale);
  CHECK(primary->reset_at == kCodexReset);
  CHECK(secondary->used == 1300);
  CHECK(secondary->reset_at == 1776300000000);
  CHECK(s.cooldown_until == 0);
  CHECK_FALSE(s.quota_exhausted);
}

TEST_CASE("codex: 429 usage_limit_reached with headers and body") {
  int status = 0;
  auto s = parse_fixture("codex-429-usage-limit-reached.http", &status);
  CHECK(find_window(s, Metric::requests, 300 * 60)->used == kPercentScale);
  CHECK(find_window(s, Metric::requests, 10080 * 60)->used == 6300);
  CHECK(s.cooldown_until == kCodexReset);
  CHECK(s.quota_exhausted);
  CHECK(classify_status(status, s) == OutcomeKind::rate_limited);
}

TEST_CASE("cliproxy: model_cooldown reset_seconds, both versions") {
  auto s = parse_fixture("cliproxy-429-model-cooldown.http");
  CHECK(s.cooldown_until == kNow + 9720000);
  CHECK(s.quota_exhausted);
  auto late = parse_fixture("cliproxy-429-model-cooldown.v7-late.json");
  CHECK(late.cooldown_until == kNow + 495669000);
  CHECK(late.cooldown_detail.find("model_cooldown") != std::string::npos);
}

TEST_CASE("cliproxy: passthrough usage_limit_reached uses resets_at") {
  auto s = parse_fixture("cliproxy-429-passthrough-upstream.http");
  CHECK(s.cooldown_until == kCodexReset);
  CHECK(s.quota_exhausted);
}

TEST_CASE("cliproxy: 503 auth_unavailable is a server error without quota signals") {
  int status = 0;
  auto s = parse_fixture("cliproxy-503-auth-unavailable.http", &status);
  CHECK(s.windows.empty());
  CHECK(s.cooldown_until == 0);
  CHECK_FALSE(s.quota_exhausted);
  CHECK(classify_status(status, s) == OutcomeKind::server_error);
}

TEST_CASE("cloud code: RESOURCE_EXHAUSTED hints") {
  auto exhausted = parse_fixture("cloudcode-429-quota-exhausted.json");
  CHECK(exhausted.cooldown_until == kNow + (4 * 3600 + 12 * 60 + 3) * 1000);
  auto limited = parse_fixture("cloudcode-429-rate-limited.json");
  CHECK(limited.cooldown_until == kNow + 53418);  // RetryInfo.retryDelay, rounded up
  CHECK(limited.cooldown_detail.find("retryDelay") != std::string::npos);
  auto daily = parse_fixture("cloudcode-429-daily-legacy.json");
  CHECK(daily.cooldown_until == 1775894400000);  // next midnight Pacific (08:00 UTC)
  CHECK(daily.quota_exhausted);
}

TEST_CASE("gemini api: per-day quota id ignores the meaningless retryDelay") {
  auto s = parse_fixture("gemini-api-429-resource-exhausted.json");
  CHECK(s.cooldown_until == 1775894400000);
  CHECK(s.quota_exhausted);
  // Without the per-day violation the RetryInfo delay is used.
  std::string body = R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[)"
                     R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}})";
  CHECK(parse_rate_limit_signals(429, {}, body, kNow).cooldown_until == kNow + 38000);
}

TEST_CASE("qwen: 403 insufficient_quota is rate limiting, not an auth failure") {
  int status = 0;
  auto s = parse_fixture("qwen-403-insufficient-quota.http", &status);
  CHECK(status == 403);
  CHECK(s.quota_exhausted);
  CHECK(s.cooldown_until == 0);  // no hint: the core applies its own backoff
  CHECK(classify_status(status, s) == OutcomeKind::rate_limited);
  CHECK(classify_status(403, RateLimitSignals{}) == OutcomeKind::auth_error);
}

TEST_CASE("retry-after: seconds, HTTP date, garbage") {
  CHECK(parse_retry_after({{"Retry-After", "7"}}, kNow) == kNow + 7000);
  CHECK(parse_retry_after({{"retry-after", "Fri, 10 Apr 2026 08:31:00 GMT"}}, kNow) == kNow + 60000);
  CHECK_FALSE(parse_retry_after({{"retry-after", "later"}}, kNow).has_value());
  CHECK_FALSE(parse_retry_after({}, kNow).has_value());
  // A 200 never produces a cooldown even with Retry-After.
  CHECK(parse_rate_limit_signals(200, {{"retry-after", "7"}}, "", kNow).cooldown_until == 0);
}

TEST_CASE("garbage input changes nothing and never throws") {
  HeaderList h = {{"x-ratelimit-limit-requests", "lots"}, {"x-ratelimit-remaining-requests", "-3"},
                  {"anthropic-ratelimit-unified-5h-reset", "tomorrow"}, {"x-codex-primary-used-percent", ""}};
  auto s = parse_rate_limit_signals(429, h, "{not json", kNow);
  CHECK(s.windows.empty());
  CHECK(s.cooldown_until == 0);
  CHECK(s.quota_exhausted);  // still a 429
  // Out-of-range numbers are ignored, never converted (fuzz finding F2).
  HeaderList huge = {{"anthropic-ratelimit-unified-7d-reset", "17000000000000000000000"},
                     {"anthropic-ratelimit-unified-7d-status", "rejected"},
                     {"x-ratelimit-limit-requests", "99999999999999999999999999"},
                     {"x-ratelimit-remaining-requests", "1"},
                     {"retry-after", "1e400"}};
  auto big = parse_rate_limit_signals(429, huge, R"({"error":{"code":"model_cooldown","reset_seconds":1e300}})", kNow);
  CHECK(big.windows.size() == 1);  // the rejected 7d window, with an unknown reset
  CHECK(big.windows[0].reset_at == 0);
  CHECK(big.cooldown_until == 0);
  CHECK_FALSE(parse_go_duration_ms("99999999999999999h").has_value());
  CHECK_FALSE(parse_unix_time_ms(std::string(400, '9')).has_value());
  auto t = parse_rate_limit_signals(500, {}, std::string(3, '\0'), kNow);
  CHECK(t.empty());
}

TEST_CASE("header names compare in ASCII case only, byte for byte as the C locale's tolower and isspace") {
  int differing = 0;
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    differing += ascii_lower_char(ch) != static_cast<char>(std::tolower(c));
    differing += ascii_space(ch) != (std::isspace(c) != 0);
  }
  CHECK(differing == 0);
  CHECK(header_name_equals("X-RateLimit-Limit-Requests", "x-ratelimit-limit-requests"));
  CHECK_FALSE(header_name_equals("x-ratelimit-limit-request", "x-ratelimit-limit-requests"));
  CHECK(header_name_starts_with("Anthropic-RateLimit-Tokens-Limit", "anthropic-ratelimit-"));
  CHECK(has_line_break("a\rb"));
  CHECK(has_line_break("a\nb"));
  CHECK_FALSE(has_line_break(std::string_view("a\0b", 3)));
  CHECK(has_line_break(std::string_view("a\0b", 3), /*nul=*/true));
}
