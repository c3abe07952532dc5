// tests/cliproxy/quota_parsers_test.cpp — management and live-quota parsers against every
// sample copied into tests/fixtures/cliproxy/.
#include "cliproxy/quota_parsers.hpp"
#include "cliproxy/time_parse.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;

namespace {
std::string sample(const std::string& rel) { return read_file(fixture_dir() / rel); }
TimeMs at(const char* iso) { return *parse_time_text(iso); }
constexpr TimeMs kNow = 1775800000000;  // 2026-04-10T05:46:40Z
}  // namespace

TEST_CASE("auth-files v6.9 listing: cooldown, gemini runtime name and project") {
  std::string err;
  auto files = parse_auth_files(sample("management/auth-files.v6.9.json"), &err);
  REQUIRE(files);
  REQUIRE(files->size() == 6);
  const auto& codex = (*files)[2];
  CHECK(codex.name == "codex-alice@example.com-plus.json");
  CHECK(codex.auth_index == "2030e462cd0be36d");
  CHECK(codex.status == "error");
  CHECK(codex.unavailable);
  CHECK(codex.next_retry_after == at("2026-04-10T09:12:00Z"));
  CHECK(codex.chatgpt_account_id == "00000000-aaaa-4bbb-8ccc-000000000001");
  const auto& gemini = (*files)[4];
  CHECK(gemini.type == "gemini-cli");
  CHECK(gemini.project_id == "alice-gemini-proj-123456");  // from "account": "email (project)"
  CHECK((*files)[0].next_retry_after == 0);
  CHECK_FALSE((*files)[0].unavailable);
}

TEST_CASE("auth-files v7 listing and the disk fallback shape") {
  std::string err;
  auto v7 = parse_auth_files(sample("management/auth-files.v7.json"), &err);
  REQUIRE(v7);
  REQUIRE(v7->size() == 4);
  CHECK((*v7)[0].project_id == "fake-aura-0abcd");
  CHECK((*v7)[3].name == "codex-e8a4c158-bob@example.com-team.json");
  CHECK((*v7)[3].status == "active");
  auto disk = parse_auth_files(sample("management/auth-files.fallback-from-disk.json"), &err);
  REQUIRE(disk);
  CHECK(disk->size() == 2);
  CHECK((*disk)[1].auth_index == "");  // no auth manager: no handle, cannot be polled
  CHECK_FALSE(parse_auth_files("[]", &err));
  CHECK(err.find("not a JSON object") != std::string::npos);
  CHECK_FALSE(parse_auth_files(R"({"nofiles":1})", &err));
}

TEST_CASE("codex wham/usage sample -> 5h and 7d windows") {
  auto q = parse_codex_usage(sample("upstream/codex-wham-usage.json"), kNow);
  REQUIRE(q.ok());
  REQUIRE(q.buckets.size() == 2);
  REQUIRE(q.windows.size() == 2);
  CHECK(q.windows[0].window_s == 18000);
  CHECK(q.windows[0].limit == kPollPercentLimit);
  CHECK(q.windows[0].used == 4200);  // 42 %
  CHECK(q.windows[0].reset_at == 1775819520000);
  CHECK(q.windows[0].metric == Metric::requests);
  CHECK(q.windows[1].window_s == 604800);
  CHECK(q.windows[1].used == 1300);
  CHECK_FALSE(q.limit_reached);
  CHECK(q.max_used_percent() == doctest::Approx(42));
  CHECK(q.exhausted_until() == 0);

  auto reached = parse_codex_usage(R"({"rate_limit":{"allowed":false,"limit_reached":true,
      "primary_window":{"used_percent":100,"limit_window_seconds":18000,"reset_after_seconds":60}}})", kNow);
  REQUIRE(reached.ok());
  CHECK(reached.limit_reached);
  CHECK(reached.windows[0].used == kPollPercentLimit);
  CHECK(reached.windows[0].reset_at == kNow + 60000);  // reset_after_seconds when no reset_at
  CHECK(reached.exhausted_until() == kNow + 60000);
}

TEST_CASE("claude oauth/usage sample -> account windows - model-only limits kept as buckets") {
  auto q = parse_claude_usage(sample("upstream/claude-oauth-usage.json"), kNow);
  REQUIRE(q.ok());
  CHECK(q.buckets.size() == 3);  // five_hour, seven_day, seven_day_opus (nulls skipped)
  REQUIRE(q.windows.size() == 2);
  CHECK(q.windows[0].window_s == 18000);
  CHECK(q.windows[0].used == 8700);
  CHECK(q.windows[0].reset_at == at("2026-04-10T09:12:00Z"));
  CHECK(q.windows[1].window_s == 604800);
  CHECK(q.windows[1].used == 4100);  // seven_day 41 %, not opus 12 %
}

TEST_CASE("gemini retrieveUserQuota sample -> one daily window from the most-used model") {
  auto q = parse_gemini_quota(sample("upstream/gemini-cli-retrieveUserQuota.response.json"), kNow);
  REQUIRE(q.ok());
  CHECK(q.buckets.size() == 3);
  REQUIRE(q.windows.size() == 1);
  CHECK(q.windows[0].window_s == 86400);
  CHECK(q.windows[0].used == 3800);  // gemini-2.5-pro remainingFraction 0.62
  CHECK(q.windows[0].reset_at == at("2026-04-11T06:00:00Z"));
}

TEST_CASE("antigravity retrieveUserQuotaSummary sample -> 5h and weekly windows") {
  auto q = parse_antigravity_summary(sample("upstream/antigravity-retrieveUserQuotaSummary.response.json"), kNow);
  REQUIRE(q.ok());
  CHECK(q.buckets.size() == 3);
  REQUIRE(q.windows.size() == 2);
  CHECK(q.windows[0].window_s == 5 * 3600);
  CHECK(q.windows[0].used == 6500);  // Claude/GPT 5-hour remaining 0.35
  CHECK(q.windows[0].reset_at == at("2026-04-10T09:00:00Z"));
  CHECK(q.windows[1].window_s == 168 * 3600);
  CHECK(q.windows[1].used == 2000);
}

TEST_CASE("bad quota bodies give an error, never a crash") {
  for (QuotaKind k : {QuotaKind::codex, QuotaKind::claude, QuotaKind::gemini_cli, QuotaKind::antigravity}) {
    CAPTURE(to_string(k));
    CHECK_FALSE(parse_quota(k, "", kNow).ok());
    CHECK_FALSE(parse_quota(k, "<html>", kNow).ok());
    CHECK_FALSE(parse_quota(k, "{}", kNow).ok());
    CHECK_FALSE(parse_quota(k, R"({"rate_limit":7,"buckets":{},"groups":null})", kNow).ok());
  }
  CHECK_FALSE(parse_quota(QuotaKind::none, "{}", kNow).ok());
}

TEST_CASE("api-call envelope and request bodies") {
  std::string err;
  auto r = parse_api_call_response(
      R"({"status_code":200,"header":{"Content-Type":["application/json"],"X-One":"1"},"body":"{\"a\":1}"})", &err);
  REQUIRE(r);
  CHECK(r->status_code == 200);
  CHECK(r->header["content-type"] == "application/json");
  CHECK(r->header["x-one"] == "1");
  CHECK(r->body == R"({"a":1})");
  CHECK_FALSE(parse_api_call_response(R"({"body":"x"})", &err));

  // Our codex request matches the Management Center sample (token left to CLIProxyAPI).
  auto ours = nlohmann::json::parse(build_quota_api_call(QuotaKind::codex, "ec59c1cbb588de4c",
                                                         "00000000-aaaa-4bbb-8ccc-000000000001", ""));
  auto theirs = nlohmann::json::parse(sample("management/api-call.request.codex-usage.json"));
  CHECK(ours["auth_index"] == theirs["auth_index"]);
  CHECK(ours["method"] == theirs["method"]);
  CHECK(ours["url"] == theirs["url"]);
  CHECK(ours["header"]["Authorization"] == theirs["header"]["Authorization"]);
  CHECK(ours["header"]["Chatgpt-Account-Id"] == theirs["header"]["Chatgpt-Account-Id"]);

  auto gemini = nlohmann::json::parse(build_quota_api_call(QuotaKind::gemini_cli, "abc", "", "alice-gemini-proj-123456"));
  CHECK(nlohmann::json::parse(gemini["data"].get<std::string>()) ==
        nlohmann::json::parse(sample("upstream/gemini-cli-retrieveUserQuota.request.json")));
  CHECK(build_quota_api_call(QuotaKind::none, "abc", "", "") == "");
  CHECK(quota_kind_for_type("gemini-cli") == QuotaKind::gemini_cli);
  CHECK(quota_kind_for_type("Codex") == QuotaKind::codex);
  CHECK(quota_kind_for_type("kimi") == QuotaKind::none);
}
