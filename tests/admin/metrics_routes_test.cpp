// tests/admin/metrics_routes_test.cpp — GET /metrics over real HTTP: no auth, strict
// Prometheus text, counters that move with requests, state gauges from Operations, and no
// secret in the output.
#include "tests/admin/api_test_server.hpp"
#include "tests/admin/prometheus_text.hpp"

#include <doctest/doctest.h>

using qg::test::ApiTestServer;
using qg::test::parse_prometheus_text;
using qg::test::sample_value;

namespace {

std::map<std::string, qg::test::PromFamily> scrape(const ApiTestServer& srv) {
  auto c = srv.client(false);
  auto r = c.Get("/metrics");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(r->body.find(qg::test::kAdminToken) == std::string::npos);
  return parse_prometheus_text(r->body);
}

double api_count(const std::map<std::string, qg::test::PromFamily>& m, const std::string& route,
                 const std::string& status) {
  return sample_value(m, "quotaguard_api_requests_total", {{"route", route}, {"status", status}});
}

}  // namespace

TEST_CASE("/metrics needs no token, parses strictly and counts API requests by route and status") {
  ApiTestServer srv;
  const auto before = scrape(srv);
  auto c = srv.client();
  for (int i = 0; i < 3; ++i) REQUIRE(c.Get("/api/v1/status")->status == 200);
  REQUIRE(c.Get("/api/v1/accounts/acc-a")->status == 200);
  REQUIRE(c.Get("/api/v1/accounts/nope")->status == 404);
  REQUIRE(srv.client(false).Get("/api/v1/status")->status == 401);
  REQUIRE(c.Post("/router/select", "{}", "application/json")->status == 200);
  const auto after = scrape(srv);

  CHECK(api_count(after, "/api/v1/status", "200") - api_count(before, "/api/v1/status", "200") == 3);
  CHECK(api_count(after, "/api/v1/status", "401") - api_count(before, "/api/v1/status", "401") == 1);
  CHECK(api_count(after, "/api/v1/accounts/{id}", "200") -
            api_count(before, "/api/v1/accounts/{id}", "200") == 1);
  CHECK(api_count(after, "/api/v1/accounts/{id}", "404") -
            api_count(before, "/api/v1/accounts/{id}", "404") == 1);
  CHECK(api_count(after, "/router/select", "200") - api_count(before, "/router/select", "200") == 1);
  CHECK(sample_value(after, "process_resident_memory_bytes", {}) > 0);
  CHECK(sample_value(after, "process_open_fds", {}) > 0);
}

TEST_CASE("/metrics reflects quota use, open reservations, cooldowns and accounts by state") {
  ApiTestServer srv;
  auto c = srv.client();
  REQUIRE(c.Post("/reservations", R"({"account_id":"acc-a","estimated_cost_percent":25})",
                 "application/json")->status == 201);
  REQUIRE(c.Post("/api/v1/accounts/acc-b/drain", "", "application/json")->status == 200);
  auto m = scrape(srv);
  CHECK(sample_value(m, "quotaguard_quota_used_ratio",
                     {{"account", "acc-a"}, {"metric", "requests"}, {"window", "1m"}}) ==
        doctest::Approx(0.25));
  CHECK(sample_value(m, "quotaguard_quota_used_ratio",
                     {{"account", "acc-a"}, {"metric", "tokens"}, {"window", "1d"}}) ==
        doctest::Approx(0.25));
  CHECK(sample_value(m, "quotaguard_open_reservations", {}) == 1);
  CHECK(sample_value(m, "quotaguard_accounts", {{"state", "draining"}}) == 1);
  CHECK(sample_value(m, "quotaguard_accounts", {{"state", "active"}}) == 1);
  CHECK(sample_value(m, "quotaguard_cooldowns_active", {}) == 0);

  REQUIRE(c.Post("/api/v1/accounts/acc-b/resume", "", "application/json")->status == 200);
  REQUIRE(srv.ops.feedback("acc-b", qg::OutcomeKind::rate_limited, 0).ok());
  m = scrape(srv);
  CHECK(sample_value(m, "quotaguard_cooldowns_active", {}) == 1);
  CHECK(sample_value(m, "quotaguard_accounts", {{"state", "cooldown"}}) == 1);
}

TEST_CASE("a config and an observed window of the same metric and length export one series") {
  ApiTestServer srv;
  auto c = srv.client();
  REQUIRE(c.Post("/ingest", R"({"account_id":"acc-b","dimensions":[{"type":"RPM","limit":100,"used":60}]})",
                 "application/json")->status == 200);
  const auto m = scrape(srv);  // the strict parser rejects duplicate series
  CHECK(sample_value(m, "quotaguard_quota_used_ratio",
                     {{"account", "acc-b"}, {"metric", "requests"}, {"window", "1m"}}) ==
        doctest::Approx(0.6));
}
