// tests/admin/admin_routes_test.cpp — every /api/v1 route over real HTTP: happy path,
// missing/wrong token (401), bad body (400 naming the field), unknown account (404), and
// state changes visible in GET /api/v1/accounts and GET /api/v1/events.
#include "http/api_support.hpp"
#include "http/client_auth.hpp"
#include "tests/admin/api_test_server.hpp"

#include <doctest/doctest.h>

using qg::test::ApiTestServer;
using qg::test::error_message;
using qg::test::json_of;

namespace {

struct Route {
  const char* method;
  const char* path;
};

const Route kAdminRoutes[] = {
    {"GET", "/api/v1/status"},          {"GET", "/api/v1/accounts"},
    {"GET", "/api/v1/accounts/acc-a"},  {"POST", "/api/v1/accounts/acc-a/drain"},
    {"POST", "/api/v1/accounts/acc-a/resume"}, {"POST", "/api/v1/accounts/acc-a/reset-cooldown"},
    {"GET", "/api/v1/reservations"},    {"GET", "/api/v1/thresholds"},
    {"PUT", "/api/v1/thresholds"},      {"GET", "/api/v1/policy"},
    {"PUT", "/api/v1/policy"},          {"GET", "/api/v1/fallbacks"},
    {"PUT", "/api/v1/fallbacks"},       {"POST", "/api/v1/reload"},
    {"POST", "/api/v1/import"},         {"GET", "/api/v1/export"},
    {"GET", "/api/v1/events"},          {"GET", "/api/v1/route?model=gpt-4o"},
    {"GET", "/api/v1/activity"},
};

httplib::Result call(httplib::Client& c, const std::string& method, const std::string& path,
                     const std::string& body = "{}") {
  if (method == "GET") return c.Get(path.c_str());
  if (method == "PUT") return c.Put(path.c_str(), body, "application/json");
  return c.Post(path.c_str(), body, "application/json");
}

nlohmann::json account_from_list(const nlohmann::json& list, const std::string& id) {
  for (const auto& a : list["accounts"])
    if (a["id"] == id) return a;
  return nullptr;
}

}  // namespace

TEST_CASE("every admin route refuses a missing or wrong token with an OpenAI-shaped 401") {
  ApiTestServer srv;
  const std::size_t events_before = srv.ops.log().size();
  auto anonymous = srv.client(false);
  auto wrong = srv.client(false);
  wrong.set_bearer_token_auth("test-admin-token-3f9d");
  auto x_api_key = srv.client(false);
  x_api_key.set_default_headers({{"X-API-Key", qg::test::kAdminToken}});
  for (const auto& r : kAdminRoutes) {
    INFO(r.method << " " << r.path);
    for (auto* c : {&anonymous, &wrong, &x_api_key}) {
      auto res = call(*c, r.method, r.path);
      REQUIRE(res);
      CHECK(res->status == 401);
      const auto body = json_of(res);
      CHECK(body["error"]["type"] == "authentication_error");
      CHECK(body["error"]["code"] == "unauthorized");
      CHECK(res->body.find(qg::test::kAdminToken) == std::string::npos);
    }
  }
  CHECK(srv.ops.log().size() == events_before);  // nothing changed
}

TEST_CASE("GET routes answer what Operations holds") {
  ApiTestServer srv;
  auto c = srv.client();

  auto status = c.Get("/api/v1/status");
  REQUIRE(status);
  CHECK(status->status == 200);
  CHECK(json_of(status)["accounts_by_state"]["active"] == 2);
  CHECK(json_of(status)["journal_seq"] == 2);

  auto list = c.Get("/api/v1/accounts");
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(list->get_header_value("Content-Type") == "application/json");
  const auto a = account_from_list(json_of(list), "acc-a");
  REQUIRE(a.is_object());
  for (const char* key : {"id", "provider", "enabled", "state", "used_percent", "windows",
                          "cooldown_until", "in_flight"})
    CHECK_MESSAGE(a.contains(key), key);
  REQUIRE(a["windows"].size() == 2);
  for (const char* key : {"metric", "window", "limit", "used", "reserved", "remaining",
                          "reset_at", "source"})
    CHECK_MESSAGE(a["windows"][0].contains(key), key);

  auto one = c.Get("/api/v1/accounts/acc-b");
  REQUIRE(one);
  CHECK(one->status == 200);
  CHECK(json_of(one)["provider"] == "anthropic");

  auto reservations = c.Get("/api/v1/reservations");
  REQUIRE(reservations);
  CHECK(json_of(reservations)["reservations"].is_array());

  CHECK(json_of(c.Get("/api/v1/thresholds"))["switch"] == 90);
  CHECK(json_of(c.Get("/api/v1/policy"))["policy"] == "balanced");
  CHECK(json_of(c.Get("/api/v1/fallbacks"))["fallback_chains"].is_object());

  auto exported = c.Get("/api/v1/export");
  REQUIRE(exported);
  CHECK(exported->status == 200);
  CHECK(exported->get_header_value("Content-Type").rfind("text/yaml", 0) == 0);
  CHECK(exported->body.find("admin_token") != std::string::npos);
  CHECK(exported->body.find(qg::test::kAdminToken) == std::string::npos);

  auto route = c.Get("/api/v1/route?model=gpt-4o-mini");
  REQUIRE(route);
  CHECK(route->status == 200);
  CHECK(json_of(route)["model"] == "gpt-4o-mini");
  CHECK(json_of(route)["candidates"].size() == 2);
}

TEST_CASE("drain, resume and reset-cooldown change state visible in accounts and events") {
  ApiTestServer srv;
  auto c = srv.client();

  auto drained = c.Post("/api/v1/accounts/acc-a/drain", "", "application/json");
  REQUIRE(drained);
  CHECK(drained->status == 200);
  CHECK(account_from_list(json_of(c.Get("/api/v1/accounts")), "acc-a")["state"] == "draining");
  CHECK(json_of(c.Get("/api/v1/accounts/acc-a"))["state"] == "draining");

  auto events = json_of(c.Get("/api/v1/events?after=2"));
  REQUIRE(events["events"].size() == 1);
  CHECK(events["events"][0]["type"] == "AccountDrained");
  CHECK(events["events"][0]["account"] == "acc-a");
  CHECK(events["events"][0]["seq"] == 3);
  CHECK(events["events"][0]["data"]["by"] == "admin");

  CHECK(c.Post("/api/v1/accounts/acc-a/resume", "", "application/json")->status == 200);
  CHECK(account_from_list(json_of(c.Get("/api/v1/accounts")), "acc-a")["state"] == "active");

  // A cooldown (from feedback) and its operator reset.
  REQUIRE(srv.ops.feedback("acc-b", qg::OutcomeKind::rate_limited, 0).ok());
  CHECK(json_of(c.Get("/api/v1/accounts/acc-b"))["state"] == "cooldown");
  CHECK(c.Post("/api/v1/accounts/acc-b/reset-cooldown", "", "application/json")->status == 200);
  CHECK(json_of(c.Get("/api/v1/accounts/acc-b"))["state"] == "active");

  const auto all = json_of(c.Get("/api/v1/events?after=0&limit=100"))["events"];
  std::vector<std::string> types;
  for (const auto& e : all) types.push_back(e["type"]);
  CHECK(types == std::vector<std::string>{"AccountRegistered", "AccountRegistered",
                                          "AccountDrained", "AccountResumed", "CooldownStarted",
                                          "CooldownEnded"});
  const auto limited = json_of(c.Get("/api/v1/events?after=1&limit=2"))["events"];
  REQUIRE(limited.size() == 2);
  CHECK(limited[0]["seq"] == 2);
  CHECK(limited[1]["seq"] == 3);
}

TEST_CASE("an unknown account is a 404 on every per-account route") {
  ApiTestServer srv;
  auto c = srv.client();
  const std::size_t before = srv.ops.log().size();
  for (const char* path : {"/api/v1/accounts/nope/drain", "/api/v1/accounts/nope/resume",
                           "/api/v1/accounts/nope/reset-cooldown"}) {
    INFO(path);
    auto r = c.Post(path, "", "application/json");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(json_of(r)["error"]["type"] == "not_found_error");
    CHECK(error_message(r).find("nope") != std::string::npos);
  }
  auto r = c.Get("/api/v1/accounts/nope");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(srv.ops.log().size() == before);
}

TEST_CASE("settings PUT validates, writes SettingChanged and GET shows the new value") {
  ApiTestServer srv;
  auto c = srv.client();
  const std::size_t before = srv.ops.log().size();

  auto bad_json = c.Put("/api/v1/thresholds", "{\"warning\": 80,", "application/json");
  REQUIRE(bad_json);
  CHECK(bad_json->status == 400);
  CHECK(json_of(bad_json)["error"]["type"] == "invalid_request_error");
  CHECK(error_message(bad_json).find("request body") != std::string::npos);

  auto not_object = c.Put("/api/v1/policy", "[\"balanced\"]", "application/json");
  REQUIRE(not_object);
  CHECK(not_object->status == 400);
  CHECK(error_message(not_object).find("must be a JSON object") != std::string::npos);

  auto empty = c.Put("/api/v1/fallbacks", "", "application/json");
  REQUIRE(empty);
  CHECK(empty->status == 400);

  auto wrong_order = c.Put("/api/v1/thresholds", R"({"warning":80,"switch":99,"critical":95})",
                           "application/json");
  REQUIRE(wrong_order);
  CHECK(wrong_order->status == 400);
  CHECK(error_message(wrong_order).rfind("switch:", 0) == 0);

  auto missing = c.Put("/api/v1/thresholds", R"({"warning":80,"switch":90})", "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(error_message(missing).rfind("critical:", 0) == 0);
  CHECK(srv.ops.log().size() == before);

  auto ok = c.Put("/api/v1/thresholds", R"({"warning":70,"switch":80,"critical":90})",
                  "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(json_of(c.Get("/api/v1/thresholds"))["switch"] == 80);
  CHECK(c.Put("/api/v1/policy", R"({"policy":"fill_first"})", "application/json")->status == 200);
  CHECK(json_of(c.Get("/api/v1/policy"))["policy"] == "fill_first");
  CHECK(c.Put("/api/v1/fallbacks", R"({"fallback_chains":{"gpt-4o":["gpt-4o-mini"]}})",
              "application/json")->status == 200);
  CHECK(json_of(c.Get("/api/v1/fallbacks"))["fallback_chains"]["gpt-4o"][0] == "gpt-4o-mini");

  const auto events = json_of(c.Get("/api/v1/events?after=2"))["events"];
  REQUIRE(events.size() == 3);
  CHECK(events[0]["type"] == "SettingChanged");
  CHECK(events[0]["data"]["key"] == "router.thresholds");
  CHECK(events[0]["data"]["source"] == "admin");
  CHECK(events[1]["data"]["key"] == "router.policy");
  CHECK(events[2]["data"]["key"] == "router.fallbacks");
}

TEST_CASE("events, route, import and reload check their parameters") {
  ApiTestServer srv;
  auto c = srv.client();
  auto bad_after = c.Get("/api/v1/events?after=abc");
  REQUIRE(bad_after);
  CHECK(bad_after->status == 400);
  CHECK(error_message(bad_after).rfind("after:", 0) == 0);
  auto negative = c.Get("/api/v1/events?after=-1");
  REQUIRE(negative);
  CHECK(negative->status == 400);
  auto zero_limit = c.Get("/api/v1/events?limit=0");
  REQUIRE(zero_limit);
  CHECK(zero_limit->status == 400);
  CHECK(error_message(zero_limit).rfind("limit:", 0) == 0);
  CHECK(c.Get("/api/v1/events?limit=100001")->status == 400);

  auto no_model = c.Get("/api/v1/route");
  REQUIRE(no_model);
  CHECK(no_model->status == 400);
  CHECK(error_message(no_model).rfind("model:", 0) == 0);

  auto bad_path = c.Post("/api/v1/import", R"({"path": 5})", "application/json");
  REQUIRE(bad_path);
  CHECK(bad_path->status == 400);
  CHECK(error_message(bad_path).rfind("path:", 0) == 0);
  auto missing_dir = c.Post("/api/v1/import", R"({"path": "/nonexistent"})", "application/json");
  REQUIRE(missing_dir);
  CHECK(missing_dir->status == 400);
  auto with_path = c.Post("/api/v1/import", R"({"path": "/tmp/auth"})", "application/json");
  REQUIRE(with_path);
  CHECK(with_path->status == 200);
  CHECK(json_of(with_path)["auth_dir"] == "/tmp/auth");
  auto no_body = c.Post("/api/v1/import", "", "application/json");
  REQUIRE(no_body);
  CHECK(no_body->status == 200);
  CHECK(json_of(no_body)["auth_dir"] == "");

  auto reload = c.Post("/api/v1/reload", "", "application/json");
  REQUIRE(reload);
  CHECK(reload->status == 200);
}

TEST_CASE("without an admin token the routes are open") {
  ApiTestServer srv("");
  auto c = srv.client(false);
  auto r = c.Get("/api/v1/status");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.Post("/api/v1/accounts/acc-a/drain", "", "application/json")->status == 200);
}

TEST_CASE("the token compare is exact") {
  CHECK(qg::secret_matches("abc", "abc"));
  CHECK_FALSE(qg::secret_matches("abc", "abd"));
  CHECK_FALSE(qg::secret_matches("abc", "abcd"));
  CHECK_FALSE(qg::secret_matches("abc", ""));
  CHECK_FALSE(qg::secret_matches("abc", "ABC"));
}

TEST_CASE("activity: committed usage per account, decisions and operator actions, newest first") {
  ApiTestServer s;
  const auto a = s.ops.reserve("acc-a", "gpt-4o", qg::Usage{1, 100, 20}, 60'000);
  REQUIRE(a.ok());
  REQUIRE(s.ops.resolve(a.value.reservation_id, qg::Resolution::commit, qg::Usage{1, 120, 30}).ok());
  const auto b = s.ops.reserve("acc-b", "gpt-4o-mini", qg::Usage{1, 10, 10}, 60'000);
  REQUIRE(b.ok());
  REQUIRE(s.ops.resolve(b.value.reservation_id, qg::Resolution::release, qg::Usage{}).ok());
  auto c = s.client();
  REQUIRE(c.Post("/api/v1/accounts/acc-a/drain")->status == 200);

  const auto r = c.Get("/api/v1/activity?hours=2&bucket_minutes=15");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto j = json_of(r);
  CHECK(j["bucket_minutes"] == 15);
  REQUIRE(j["accounts"].size() == 2);
  CHECK(j["accounts"][0]["id"] == "acc-a");
  const auto& ba = j["accounts"][0]["buckets"];
  REQUIRE(ba.size() == 1);
  CHECK(ba[0]["requests"] == 1);
  CHECK(ba[0]["input_tokens"] == 120);
  CHECK(ba[0]["output_tokens"] == 30);
  CHECK(ba[0]["tokens"] == 150);
  CHECK(ba[0]["released"] == 0);
  CHECK(j["accounts"][1]["buckets"][0]["released"] == 1);
  CHECK(j["accounts"][1]["buckets"][0]["requests"] == 0);
  REQUIRE(j["decisions"].size() == 2);
  CHECK(j["decisions"][0]["account"] == "acc-b");
  CHECK(j["decisions"][0]["model"] == "gpt-4o-mini");
  CHECK(j["decisions"][1]["account"] == "acc-a");
  REQUIRE(j["alerts"].size() == 1);
  CHECK(j["alerts"][0]["type"] == "AccountDrained");
  CHECK(j["alerts"][0]["account"] == "acc-a");
  CHECK(j["alerts"][0]["detail"] == "drained by admin");
  CHECK(j["switches"].empty());

  // defaults: 24 hours in 1-hour buckets
  const auto d = json_of(c.Get("/api/v1/activity"));
  CHECK(d["bucket_minutes"] == 60);
}

TEST_CASE("activity checks hours and bucket_minutes") {
  ApiTestServer s;
  auto c = s.client();
  for (const char* q : {"hours=0", "hours=25", "hours=x", "bucket_minutes=0", "bucket_minutes=7",
                        "bucket_minutes=90", "bucket_minutes=-5"}) {
    CAPTURE(q);
    const auto r = c.Get((std::string("/api/v1/activity?") + q).c_str());
    REQUIRE(r);
    CHECK(r->status == 400);
    const std::string field = std::string(q).substr(0, std::string(q).find('='));
    CHECK(error_message(r).rfind(field + ":", 0) == 0);
  }
  CHECK(c.Get("/api/v1/activity?hours=24&bucket_minutes=5")->status == 200);
}
