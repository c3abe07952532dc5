// tests/admin/admin_e2e_test.cpp — the admin API, the advisory API, /metrics and
// `quotaguard quotas` against the real daemon binary (tests/support starts it).
#include "tests/admin/prometheus_text.hpp"
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg::test;
using nlohmann::json;

namespace {

const char* const kToken = "e2e-admin-token-5b1e";
const char* const kSecret = "sk-admin-e2e-secret-9d2f";

const std::string kConfig = std::string(R"(accounts:
  - id: alpha
    provider: openai
    base_url: "http://127.0.0.1:9/v1"
    api_key: ")") + kSecret + R"("
    models: ["gpt-4o-mini"]
    limits:
      - {metric: requests, window: 1m, limit: 100}
      - {metric: tokens, window: 1d, limit: 100000}
  - id: bravo
    provider: anthropic
    base_url: "http://127.0.0.1:9/v1"
    api_key: "sk-ant-e2e-other"
    models: ["gpt-4o-mini"]
    limits:
      - {metric: requests, window: 1m, limit: 100}
)";

Headers bearer() { return {{"Authorization", std::string("Bearer ") + kToken}}; }
Headers api_key() { return {{"X-API-Key", kToken}}; }

json body_of(const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

json account(const DaemonProcess& d, const std::string& id) {
  const auto r = d.get("/api/v1/accounts/" + id, bearer());
  REQUIRE(r.status == 200);
  return body_of(r);
}

json window(const json& account, const std::string& metric) {
  for (const auto& w : account["windows"])
    if (w["metric"] == metric) return w;
  return nullptr;
}

std::vector<std::string> event_types(const DaemonProcess& d, std::uint64_t after) {
  const auto r = d.get("/api/v1/events?after=" + std::to_string(after) + "&limit=1000", bearer());
  REQUIRE(r.status == 200);
  const json events = body_of(r)["events"];
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["type"]);
  return out;
}

std::uint64_t journal_seq(const DaemonProcess& d) {
  return body_of(d.get("/api/v1/status", bearer()))["journal_seq"].get<std::uint64_t>();
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("admin API, Go client flow, /metrics and quotas against the real daemon") {
  DaemonProcess d(DaemonOptions().config(kConfig).set_env("QUOTAGUARD_ADMIN_TOKEN", kToken));
  std::string why;
  const bool started = d.start(&why);
  REQUIRE_MESSAGE(started, why << "\n" << d.stderr_text());

  // Auth.
  CHECK(d.get("/api/v1/accounts").status == 401);
  CHECK(d.get("/api/v1/accounts", {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(d.get("/quotas").status == 401);
  CHECK(d.get("/quotas", api_key()).status == 200);

  // Accounts in the INTERFACE §4 shape.
  const auto list = d.get("/api/v1/accounts", bearer());
  REQUIRE(list.status == 200);
  const json accounts = body_of(list)["accounts"];
  REQUIRE(accounts.size() == 2);
  CHECK(accounts[0]["id"] == "alpha");
  CHECK(accounts[0]["state"] == "active");
  CHECK(window(accounts[0], "requests")["limit"] == 100);
  CHECK(d.get("/api/v1/accounts/ghost", bearer()).status == 404);

  // Drain and resume: state and event log.
  std::uint64_t seq = journal_seq(d);
  CHECK(d.post("/api/v1/accounts/alpha/drain", "", bearer()).status == 200);
  CHECK(account(d, "alpha")["state"] == "draining");
  CHECK(contains(event_types(d, seq), "AccountDrained"));
  CHECK(d.post("/api/v1/accounts/alpha/resume", "", bearer()).status == 200);
  CHECK(account(d, "alpha")["state"] == "active");
  CHECK(d.post("/api/v1/accounts/ghost/drain", "", bearer()).status == 404);

  // Settings: 400 naming the field, then a valid change written as SettingChanged.
  const auto bad = d.post("/api/v1/import", "{\"path\": 7}", bearer());
  CHECK(bad.status == 400);
  seq = journal_seq(d);
  const auto put = http_request("PUT", "127.0.0.1", d.port(), "/api/v1/thresholds",
                                R"({"warning":70,"switch":80,"critical":90})", "application/json",
                                bearer());
  CHECK(put.status == 200);
  CHECK(body_of(d.get("/api/v1/thresholds", bearer()))["switch"] == 80);
  CHECK(contains(event_types(d, seq), "SettingChanged"));

  // The Go client flow: ingest -> select (reserve) -> call -> feedback.
  seq = journal_seq(d);
  CHECK(d.post("/ingest", R"({"account_id":"ghost","provider":"openai","effective_remaining_percent":50})",
               api_key()).status == 404);
  const auto ingested = d.post("/ingest",
      R"({"account_id":"bravo","provider":"anthropic","dimensions":[{"type":"RPM","limit":100,"remaining":20}]})",
      api_key());
  CHECK(ingested.status == 200);
  const auto selected = d.post("/router/select",
      R"({"model":"gpt-4o-mini","estimated_tokens":400,"reserve":true})", api_key());
  REQUIRE_MESSAGE(selected.status == 200, selected.body);
  const json choice = body_of(selected);
  CHECK(choice["account_id"] == "alpha");
  const std::string reservation = choice["reservation_id"];
  const auto held = d.get("/reservations/" + reservation, api_key());
  CHECK(held.status == 200);
  CHECK(body_of(held)["status"] == "active");
  const auto fed = d.post("/router/feedback",
      json{{"account_id", "alpha"}, {"reservation_id", reservation}, {"success", true},
           {"actual", {{"requests", 1}, {"input_tokens", 250}, {"output_tokens", 50}}}}.dump(),
      api_key());
  CHECK(fed.status == 200);
  CHECK(body_of(fed)["reservation_status"] == "committed");
  const auto twice = d.post("/reservations/" + reservation + "/release", R"({"actual_cost_percent":0})", api_key());
  CHECK(twice.status == 409);
  const json alpha = account(d, "alpha");
  CHECK(window(alpha, "tokens")["used"] == 300);
  CHECK(window(alpha, "tokens")["reserved"] == 0);
  const auto types = event_types(d, seq);
  CHECK(contains(types, "QuotaObserved"));
  CHECK(contains(types, "ReservationCreated"));
  CHECK(contains(types, "ReservationCommitted"));
  const json quotas = body_of(d.get("/quotas", api_key()));
  REQUIRE(quotas.size() == 2);
  CHECK(quotas[1]["account_id"] == "bravo");
  CHECK(quotas[1]["effective_remaining_percent"].get<double>() == doctest::Approx(20));

  // /metrics: strict text, counters moved, no secret.
  const auto metrics = d.get("/metrics");
  REQUIRE(metrics.status == 200);
  const auto fams = parse_prometheus_text(metrics.body);
  CHECK(sample_value(fams, "quotaguard_api_requests_total",
                     {{"route", "/router/feedback"}, {"status", "200"}}) >= 1);
  CHECK(sample_value(fams, "quotaguard_api_requests_total",
                     {{"route", "/api/v1/accounts"}, {"status", "401"}}) >= 2);
  CHECK(sample_value(fams, "quotaguard_quota_used_ratio",
                     {{"account", "bravo"}, {"metric", "requests"}, {"window", "1m"}}) == doctest::Approx(0.8));
  CHECK(sample_value(fams, "process_resident_memory_bytes", {}) > 0);

  // Nothing shows a secret.
  for (const auto& r : {metrics, d.get("/api/v1/export", bearer()), d.get("/api/v1/accounts", bearer()),
                        d.get("/api/v1/events?limit=1000", bearer()), d.get("/quotas", api_key())}) {
    CHECK(r.body.find(kSecret) == std::string::npos);
    CHECK(r.body.find(kToken) == std::string::npos);
  }

  // The journal and the proxy record into the same registry.
  CHECK(sample_value(fams, "quotaguard_events_total", {{"type", "ReservationCommitted"}}) >= 1);
  CHECK(sample_value(fams, "quotaguard_events_total", {{"type", "AccountDrained"}}) >= 1);
  CHECK(sample_value(fams, "quotaguard_journal_batch_size_count", {}) >= 1);
  CHECK(sample_value(fams, "quotaguard_journal_append_seconds_count", {}) >= 1);
  CHECK(d.post("/v1/chat/completions", "{not json", {}).status == 400);
  const auto upstream_down = d.post("/v1/chat/completions",
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})", {});
  CHECK(upstream_down.status >= 500);  // both upstreams refuse connections
  const auto after_proxy = parse_prometheus_text(d.get("/metrics").body);
  CHECK(sample_value(after_proxy, "quotaguard_requests_total",
                     {{"account", ""}, {"model", ""}, {"status", "400"}}) == 1);
  CHECK(sample_value(after_proxy, "quotaguard_upstream_duration_seconds_count", {{"account", "alpha"}}) >= 1);
  CHECK(sample_value(after_proxy, "quotaguard_request_duration_seconds_count",
                     {{"endpoint", "/v1/chat/completions"}}) == 2);

  // quotaguard quotas: from the daemon, then offline from the event log.
  const RunOptions run = RunOptions{}.in(d.dir().str()).set_env("QUOTAGUARD_ADMIN_TOKEN", kToken);
  const auto live = run_quotaguard({"quotas", "--json", "--url", d.base_url(), "--config", d.config_path()}, run);
  INFO(live.err);
  REQUIRE(live.exit_code == 0);
  const json live_json = json::parse(live.out);
  CHECK(live_json["source"].get<std::string>().rfind("daemon", 0) == 0);
  CHECK(live_json["accounts"].size() == 2);
  const auto table = run_quotaguard({"quotas", "--url", d.base_url(), "--config", d.config_path()}, run);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("alpha") != std::string::npos);
  CHECK(table.out.find("tokens") != std::string::npos);
  const auto refused = run_quotaguard({"quotas", "--url", d.base_url(), "--config", d.config_path()},
                                      RunOptions{}.in(d.dir().str()).set_env("QUOTAGUARD_ADMIN_TOKEN", "nope"));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("401") != std::string::npos);

  const std::uint64_t last_seq = journal_seq(d);
  CHECK(d.stop() == 0);
  const auto offline = run_quotaguard({"quotas", "--json", "--url", d.base_url(), "--config", d.config_path()}, run);
  INFO(offline.err);
  REQUIRE(offline.exit_code == 0);
  const json off = json::parse(offline.out);
  CHECK(off["source"] == "offline (from event log at seq " + std::to_string(last_seq) + ")");
  json off_alpha;
  for (const auto& a : off["accounts"])
    if (a["id"] == "alpha") off_alpha = a;
  REQUIRE(off_alpha.is_object());
  CHECK(window(off_alpha, "tokens")["used"] == 300);
  CHECK(offline.out.find(kSecret) == std::string::npos);
}
