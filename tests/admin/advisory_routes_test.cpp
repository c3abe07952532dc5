// tests/admin/advisory_routes_test.cpp — the Go-QuotaGuard-compatible advisory API over real
// HTTP: the select -> call -> feedback client flow, reservations, ingest, quotas,
// distribution, auth (X-API-Key or Bearer), 400/404 cases and the Go bugs fixed.
#include "tests/admin/api_test_server.hpp"

#include <doctest/doctest.h>

using qg::test::ApiTestServer;
using qg::test::error_message;
using qg::test::json_of;

namespace {

// A client as the Go QuotaGuard clients configure it: the key in X-API-Key.
httplib::Client go_client(const ApiTestServer& srv) {
  auto c = srv.client(false);
  c.set_default_headers({{"X-API-Key", qg::test::kAdminToken}});
  return c;
}

httplib::Result post(httplib::Client& c, const std::string& path, const nlohmann::json& body) {
  return c.Post(path.c_str(), body.dump(), "application/json");
}

nlohmann::json window(const nlohmann::json& account, const std::string& metric) {
  for (const auto& w : account["windows"])
    if (w["metric"] == metric) return w;
  return nullptr;
}

}  // namespace

TEST_CASE("Go client flow: ingest -> select (reserve) -> call -> feedback commits the usage") {
  ApiTestServer srv;
  auto c = go_client(srv);

  // acc-b reports 90 of 100 requests used this minute; acc-a stays the better choice.
  auto ingested = post(c, "/ingest", {{"account_id", "acc-b"}, {"provider", "anthropic"},
                                      {"source", "headers"},
                                      {"dimensions", {{{"type", "RPM"}, {"limit", 100},
                                                       {"remaining", 10}}}}});
  REQUIRE(ingested);
  CHECK(ingested->status == 200);
  CHECK(json_of(ingested)["status"] == "ingested");

  auto selected = post(c, "/router/select", {{"model", "gpt-4o-mini"}, {"estimated_tokens", 500},
                                             {"reserve", true}});
  REQUIRE(selected);
  REQUIRE(selected->status == 200);
  const auto choice = json_of(selected);
  CHECK(choice["account_id"] == "acc-a");
  CHECK(choice["provider"] == "openai");
  CHECK(choice["score"].is_number());
  CHECK(choice["reason"].is_string());
  CHECK(choice["alternative_ids"] == nlohmann::json::array({"acc-b"}));
  const std::string reservation = choice["reservation_id"];
  CHECK(!reservation.empty());

  auto held = c.Get(("/reservations/" + reservation).c_str());
  REQUIRE(held);
  CHECK(held->status == 200);
  CHECK(json_of(held)["status"] == "active");
  CHECK(json_of(held)["account_id"] == "acc-a");
  CHECK(json_of(held)["estimated_cost_percent"].get<double>() == doctest::Approx(5.0));  // 500/10000

  // The client called the provider itself, then reports back with the real usage.
  auto fed = post(c, "/router/feedback",
                  {{"account_id", "acc-a"}, {"reservation_id", reservation}, {"success", true},
                   {"actual", {{"requests", 1}, {"input_tokens", 300}, {"output_tokens", 120}}}});
  REQUIRE(fed);
  CHECK(fed->status == 200);
  CHECK(json_of(fed)["status"] == "feedback recorded");
  CHECK(json_of(fed)["reservation_status"] == "committed");
  CHECK(srv.ops.feedback_calls() == std::vector<std::string>{"acc-a:success"});

  // Visible through the admin API and in the event log.
  auto admin = srv.client();
  const auto acc = json_of(admin.Get("/api/v1/accounts/acc-a"));
  CHECK(window(acc, "tokens")["used"] == 420);
  CHECK(window(acc, "tokens")["reserved"] == 0);
  CHECK(window(acc, "requests")["used"] == 1);
  std::vector<std::string> types;
  const auto events = json_of(admin.Get("/api/v1/events?after=2"));
  for (const auto& e : events["events"]) types.push_back(e["type"]);
  INFO(nlohmann::json(types).dump());
  CHECK(types == std::vector<std::string>{"QuotaObserved", "ReservationCreated", "ReservationCommitted"});

  // A second resolution of the same reservation is a conflict, not a double count.
  auto again = post(c, "/router/feedback", {{"account_id", "acc-a"}, {"reservation_id", reservation},
                                            {"success", true}, {"actual_cost_percent", 1}});
  REQUIRE(again);
  CHECK(again->status == 409);
  CHECK(window(json_of(admin.Get("/api/v1/accounts/acc-a")), "tokens")["used"] == 420);
}

TEST_CASE("feedback without a reported cost: success commits the estimate, failure releases") {
  ApiTestServer srv;
  auto c = go_client(srv);
  auto s1 = json_of(post(c, "/router/select", {{"estimated_tokens", 100}, {"reserve", true}}));
  REQUIRE(s1.contains("reservation_id"));
  auto ok = post(c, "/router/feedback", {{"account_id", s1["account_id"]},
                                         {"reservation_id", s1["reservation_id"]}, {"success", true}});
  REQUIRE(ok);
  CHECK(json_of(ok)["reservation_status"] == "committed");

  auto s2 = json_of(post(c, "/router/select", {{"estimated_tokens", 100}, {"reserve", true}}));
  auto failed = post(c, "/router/feedback",
                     {{"account_id", s2["account_id"]}, {"reservation_id", s2["reservation_id"]},
                      {"success", false}, {"error", "429 Too Many Requests"}});
  REQUIRE(failed);
  CHECK(failed->status == 200);
  CHECK(json_of(failed)["reservation_status"] == "released");
  const std::string acc = s2["account_id"];
  CHECK(srv.ops.feedback_calls().back() == acc + ":rate_limited");
  // The breaker feedback put the account in cooldown.
  CHECK(json_of(srv.client().Get(("/api/v1/accounts/" + acc).c_str()))["state"] == "cooldown");
  CHECK(json_of(c.Get(("/reservations/" + s2["reservation_id"].get<std::string>()).c_str()))["status"] ==
        "released");
}

TEST_CASE("feedback classifies the failure for the breaker") {
  ApiTestServer srv;
  auto c = go_client(srv);
  const std::pair<nlohmann::json, std::string> cases[] = {
      {{{"account_id", "acc-a"}, {"success", true}}, "acc-a:success"},
      {{{"account_id", "acc-a"}}, "acc-a:success"},  // Go clients that omit success and error
      {{{"account_id", "acc-a"}, {"success", false}, {"error", "context deadline exceeded"}}, "acc-a:timeout"},
      {{{"account_id", "acc-a"}, {"success", false}, {"error", "dial tcp: connection refused"}}, "acc-a:connect_error"},
      {{{"account_id", "acc-a"}, {"success", false}, {"status_code", 401}}, "acc-a:auth_error"},
      {{{"account_id", "acc-a"}, {"success", false}, {"error", "upstream 502"}}, "acc-a:server_error"},
  };
  for (const auto& [body, expected] : cases) {
    INFO(body.dump());
    auto r = post(c, "/router/feedback", body);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(srv.ops.feedback_calls().back() == expected);
  }
  auto missing = post(c, "/router/feedback", {{"success", true}});
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_message(missing).rfind("account_id:", 0) == 0);
  auto unknown = post(c, "/router/feedback", {{"account_id", "ghost"}, {"success", true}});
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  auto bad_type = post(c, "/router/feedback", {{"account_id", "acc-a"}, {"success", "yes"}});
  REQUIRE(bad_type);
  CHECK(bad_type->status == 400);
  CHECK(error_message(bad_type).rfind("success:", 0) == 0);
  auto huge_status = post(c, "/router/feedback", {{"account_id", "acc-a"}, {"status_code", 1e300}});
  REQUIRE(huge_status);
  CHECK(huge_status->status == 400);
  CHECK(error_message(huge_status).rfind("status_code:", 0) == 0);
  auto unknown_res = post(c, "/router/feedback", {{"account_id", "acc-a"}, {"reservation_id", "res_nope"}});
  REQUIRE(unknown_res);
  CHECK(unknown_res->status == 404);
}

TEST_CASE("reservations: create (0% is valid), get, release with actual 0, cancel") {
  ApiTestServer srv;
  auto c = go_client(srv);
  auto created = post(c, "/reservations", {{"account_id", "acc-a"}, {"estimated_cost_percent", 10},
                                           {"correlation_id", "req-1"}});
  REQUIRE(created);
  CHECK(created->status == 201);
  const auto body = json_of(created);
  CHECK(body["status"] == "active");
  CHECK(body["account_id"] == "acc-a");
  CHECK(body["correlation_id"] == "req-1");
  CHECK(body["expires_at"].is_string());
  const std::string id = body["reservation_id"];
  // 10% of every known window: 10 of 100 requests/1m and 1000 of 10000 tokens/1d.
  auto acc = json_of(srv.client().Get("/api/v1/accounts/acc-a"));
  CHECK(window(acc, "requests")["reserved"] == 10);
  CHECK(window(acc, "tokens")["reserved"] == 1000);

  auto released = post(c, "/reservations/" + id + "/release", {{"actual_cost_percent", 0}});
  REQUIRE(released);
  CHECK(released->status == 200);
  CHECK(json_of(released)["status"] == "released");
  acc = json_of(srv.client().Get("/api/v1/accounts/acc-a"));
  CHECK(window(acc, "requests")["reserved"] == 0);
  CHECK(window(acc, "requests")["used"] == 0);
  CHECK(json_of(c.Get(("/reservations/" + id).c_str()))["status"] == "committed");
  auto twice = post(c, "/reservations/" + id + "/release", {{"actual_cost_percent", 0}});
  REQUIRE(twice);
  CHECK(twice->status == 409);

  auto zero = post(c, "/reservations", {{"account_id", "acc-b"}, {"estimated_cost_percent", 0}});
  REQUIRE(zero);
  CHECK(zero->status == 201);
  const std::string zid = json_of(zero)["reservation_id"];
  auto cancelled = c.Post(("/reservations/" + zid + "/cancel").c_str(), "", "application/json");
  REQUIRE(cancelled);
  CHECK(cancelled->status == 200);
  CHECK(json_of(cancelled)["status"] == "cancelled");
  CHECK(json_of(c.Get(("/reservations/" + zid).c_str()))["status"] == "cancelled");

  CHECK(c.Get("/reservations/res_unknown")->status == 404);
  CHECK(c.Post("/reservations/res_unknown/cancel", "", "application/json")->status == 404);
  CHECK(post(c, "/reservations/res_unknown/release", {{"actual_cost_percent", 1}})->status == 404);
  CHECK(post(c, "/reservations", {{"account_id", "ghost"}, {"estimated_cost_percent", 1}})->status == 404);

  auto over = post(c, "/reservations", {{"account_id", "acc-a"}, {"estimated_cost_percent", 150}});
  REQUIRE(over);
  CHECK(over->status == 400);
  CHECK(error_message(over).rfind("estimated_cost_percent:", 0) == 0);
  auto none = post(c, "/reservations", {{"account_id", "acc-a"}});
  REQUIRE(none);
  CHECK(none->status == 400);
  CHECK(error_message(none).rfind("estimated_cost_percent:", 0) == 0);
  auto no_account = post(c, "/reservations", {{"estimated_cost_percent", 1}});
  REQUIRE(no_account);
  CHECK(no_account->status == 400);
  CHECK(error_message(no_account).rfind("account_id:", 0) == 0);
  auto units = post(c, "/reservations", {{"account_id", "acc-a"},
                                         {"estimate", {{"requests", 1}, {"tokens", 5}}}});
  REQUIRE(units);
  CHECK(units->status == 400);
  CHECK(error_message(units).rfind("estimate.tokens:", 0) == 0);
}

TEST_CASE("ingest: unknown account is a 404, bad dimensions a 400, source is case-insensitive") {
  ApiTestServer srv;
  auto c = go_client(srv);
  const std::size_t before = srv.ops.log().size();
  auto unknown = post(c, "/ingest", {{"account_id", "ghost"}, {"provider", "openai"},
                                     {"effective_remaining_percent", 50}});
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(json_of(unknown)["error"]["type"] == "not_found_error");
  auto no_id = post(c, "/ingest", {{"provider", "openai"}});
  REQUIRE(no_id);
  CHECK(no_id->status == 400);
  CHECK(error_message(no_id).rfind("account_id:", 0) == 0);
  auto bad_type = post(c, "/ingest", {{"account_id", "acc-a"},
                                      {"dimensions", {{{"type", "BUDGET"}, {"limit", 5}, {"used", 1}}}}});
  REQUIRE(bad_type);
  CHECK(bad_type->status == 400);
  CHECK(error_message(bad_type).rfind("dimensions[0].type:", 0) == 0);
  auto bad_remaining = post(c, "/ingest", {{"account_id", "acc-a"},
                                           {"dimensions", {{{"type", "TPM"}, {"limit", 5}, {"remaining", 9}}}}});
  REQUIRE(bad_remaining);
  CHECK(bad_remaining->status == 400);
  CHECK(error_message(bad_remaining).rfind("dimensions[0].remaining:", 0) == 0);
  auto bad_source = post(c, "/ingest", {{"account_id", "acc-a"}, {"source", "rumour"},
                                        {"effective_remaining_percent", 50}});
  REQUIRE(bad_source);
  CHECK(bad_source->status == 400);
  CHECK(error_message(bad_source).rfind("source:", 0) == 0);
  auto huge = post(c, "/ingest", {{"account_id", "acc-a"},
                                  {"dimensions", {{{"type", "RPM"}, {"limit", 1e300}, {"used", 1}}}}});
  REQUIRE(huge);
  CHECK(huge->status == 400);
  CHECK(error_message(huge).rfind("dimensions[0].limit:", 0) == 0);
  auto garbage = c.Post("/ingest", "not json", "application/json");
  REQUIRE(garbage);
  CHECK(garbage->status == 400);
  CHECK(srv.ops.log().size() == before);

  // Lower-case "estimated" is estimated (the Go version compared case-sensitively).
  auto estimated = post(c, "/ingest", {{"account_id", "acc-a"}, {"source", "estimated"},
                                       {"dimensions", {{{"type", "WINDOW"}, {"metric", "tokens"},
                                                        {"window", "5h"}, {"limit", 2000}, {"used", 500},
                                                        {"reset_at", "2026-05-28T20:00:00Z"}}}}});
  REQUIRE(estimated);
  CHECK(estimated->status == 200);
  const auto events = json_of(srv.client().Get("/api/v1/events?after=2"))["events"];
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "QuotaObserved");
  CHECK(events[0]["data"]["source"] == "estimated");

  // Percent only: 25% remaining on every known window.
  auto percent = post(c, "/ingest", {{"account_id", "acc-b"}, {"provider", "anthropic"},
                                     {"effective_remaining_percent", 25}, {"is_throttled", true}});
  REQUIRE(percent);
  CHECK(percent->status == 200);
  const auto quota = json_of(c.Get("/quotas/acc-b"));
  CHECK(quota["effective_remaining_percent"].get<double>() == doctest::Approx(25));
  CHECK(quota["is_throttled"] == true);  // is_throttled fed the breaker: cooldown
}

TEST_CASE("quotas and distribution in the Go shapes") {
  ApiTestServer srv;
  auto c = go_client(srv);
  REQUIRE(post(c, "/reservations", {{"account_id", "acc-a"}, {"estimated_cost_percent", 20}})->status == 201);
  auto list = c.Get("/quotas");
  REQUIRE(list);
  CHECK(list->status == 200);
  const auto quotas = json_of(list);
  REQUIRE(quotas.is_array());
  REQUIRE(quotas.size() == 2);
  CHECK(quotas[0]["account_id"] == "acc-a");
  CHECK(quotas[1]["account_id"] == "acc-b");
  const auto& a = quotas[0];
  for (const char* key : {"provider", "account_id", "tier", "dimensions", "effective_remaining_percent",
                          "source", "confidence", "collected_at", "is_throttled", "is_shadow_banned",
                          "virtual_used_percent", "updated_at", "critical_dimension"})
    CHECK_MESSAGE(a.contains(key), key);
  CHECK(a["effective_remaining_percent"].get<double>() == doctest::Approx(80));
  CHECK(a["virtual_used_percent"].get<double>() == doctest::Approx(20));
  REQUIRE(a["dimensions"].size() == 2);
  CHECK(a["dimensions"][0]["type"] == "RPM");
  CHECK(a["dimensions"][1]["type"] == "TPD");
  CHECK(a["dimensions"][0]["source"] == "CONFIG");
  CHECK(a["dimensions"][0]["semantics"] == "FIXED_WINDOW");
  CHECK(a["collected_at"] == "2026-05-28T20:26:40.000Z");

  CHECK(c.Get("/quotas/ghost")->status == 404);
  CHECK(json_of(c.Get("/quotas/acc-b"))["effective_remaining_percent"].get<double>() == doctest::Approx(100));

  const auto dist = json_of(c.Get("/router/distribution"));
  REQUIRE(dist.is_object());
  CHECK(dist["acc-a"].get<double>() + dist["acc-b"].get<double>() == doctest::Approx(100));
  CHECK(dist["acc-b"].get<double>() > dist["acc-a"].get<double>());
}

TEST_CASE("select: filters, nothing qualifies -> 503 with Retry-After, auth by Bearer too") {
  ApiTestServer srv;
  auto c = srv.client();  // Bearer works on the advisory routes as well
  auto anthropic = post(c, "/router/select", {{"provider", "anthropic"}});
  REQUIRE(anthropic);
  CHECK(json_of(anthropic)["account_id"] == "acc-b");
  CHECK_FALSE(json_of(anthropic).contains("alternative_ids"));  // omitted when empty, as in Go
  CHECK_FALSE(json_of(anthropic).contains("reservation_id"));   // nothing reserved unless asked
  CHECK(json_of(post(c, "/router/select", {{"exclude_providers", {"openai"}}}))["account_id"] == "acc-b");
  CHECK(json_of(post(c, "/router/select", {{"provider", "claude"}}))["account_id"] == "acc-b");
  auto empty_body = c.Post("/router/select", "", "application/json");
  REQUIRE(empty_body);
  CHECK(empty_body->status == 200);

  auto none = post(c, "/router/select", {{"exclude_accounts", {"acc-a", "acc-b"}}});
  REQUIRE(none);
  CHECK(none->status == 503);
  CHECK(json_of(none)["error"]["code"] == "quota_exhausted");
  CHECK(none->get_header_value("Retry-After") == "30");

  auto bad = post(c, "/router/select", {{"exclude_accounts", "acc-a"}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(error_message(bad).rfind("exclude_accounts:", 0) == 0);

  auto anonymous = srv.client(false);
  for (const char* path : {"/router/distribution", "/quotas", "/quotas/acc-a", "/reservations/x"}) {
    INFO(path);
    CHECK(anonymous.Get(path)->status == 401);
  }
  for (const char* path : {"/router/select", "/router/feedback", "/ingest", "/reservations",
                           "/reservations/x/release", "/reservations/x/cancel"}) {
    INFO(path);
    CHECK(anonymous.Post(path, "{}", "application/json")->status == 401);
  }
  auto wrong = srv.client(false);
  wrong.set_default_headers({{"X-API-Key", "nope"}});
  CHECK(wrong.Get("/quotas")->status == 401);
}
