// tests/dashboard/dashboard_routes_test.cpp — GET /, /dashboard and its files over real HTTP:
// the redirect, the security headers on every answer, content types, ETag/304, 404s; and
// what the embedded page may not contain (other origins, inline script, HTML injection,
// storage other than sessionStorage, a token in a URL).
#include "dashboard/dashboard_assets.hpp"
#include "http/dashboard_routes.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

using namespace qg;

namespace {

class PageServer {
 public:
  PageServer() {
    register_dashboard_routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~PageServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    return c;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

void check_security_headers(const httplib::Response& r) {
  CHECK(r.get_header_value("Content-Security-Policy") == kDashboardCsp);
  CHECK(r.get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(r.get_header_value("Referrer-Policy") == "no-referrer");
  CHECK(r.get_header_value("X-Frame-Options") == "DENY");
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

}  // namespace

TEST_CASE("/ redirects to /dashboard, and /dashboard and /dashboard/ answer the page") {
  PageServer s;
  auto c = s.client();
  auto root = c.Get("/");
  REQUIRE(root);
  CHECK(root->status == 302);
  CHECK(root->get_header_value("Location") == "/dashboard");
  check_security_headers(*root);
  for (const char* path : {"/dashboard", "/dashboard/"}) {
    CAPTURE(path);
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(r->body == find_dashboard_asset("index.html")->body);
    check_security_headers(*r);
  }
}

TEST_CASE("every embedded file is served with its type and ETag, and If-None-Match gives 304") {
  PageServer s;
  auto c = s.client();
  REQUIRE(dashboard_assets().size() >= 4);
  for (const auto& a : dashboard_assets()) {
    CAPTURE(a.name);
    auto r = c.Get("/dashboard/" + std::string(a.name));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == a.body);
    CHECK(r->get_header_value("Content-Type") == a.content_type);
    CHECK(r->get_header_value("ETag") == a.etag);
    CHECK(r->get_header_value("Cache-Control") == "no-cache");
    check_security_headers(*r);
    auto again = c.Get("/dashboard/" + std::string(a.name), {{"If-None-Match", std::string(a.etag)}});
    REQUIRE(again);
    CHECK(again->status == 304);
    CHECK(again->body.empty());
  }
  CHECK(find_dashboard_asset("dashboard.js")->content_type == "text/javascript; charset=utf-8");
  CHECK(find_dashboard_asset("dashboard.css")->content_type == "text/css; charset=utf-8");
}

TEST_CASE("unknown files are 404 with the same headers, and paths cannot leave the embedded set") {
  PageServer s;
  auto c = s.client();
  for (const char* path : {"/dashboard/nope.js", "/dashboard/..%2Fconfig.yaml", "/dashboard/a/b.js",
                           "/dashboard/.env"}) {
    CAPTURE(path);
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(!contains(r->body, "<html"));
  }
  auto r = c.Get("/dashboard/nope.js");
  check_security_headers(*r);
}

TEST_CASE("the page loads nothing from elsewhere and renders no HTML from data") {
  for (const auto& a : dashboard_assets()) {
    CAPTURE(a.name);
    if (a.content_type.rfind("image/png", 0) == 0) continue;
    // No CDN, no other origin (the SVG namespace URI is an identifier, not a fetch).
    std::string body(a.body);
    for (std::size_t at = body.find("http://www.w3.org/2000/svg"); at != std::string::npos;
         at = body.find("http://www.w3.org/2000/svg"))
      body.erase(at, 26);
    CHECK(!contains(body, "http://"));
    CHECK(!contains(body, "https://"));
    CHECK(!contains(body, "//cdn"));
  }
  const auto html = find_dashboard_asset("index.html")->body;
  CHECK(!contains(html, "<script>"));       // no inline script (CSP forbids it anyway)
  CHECK(!contains(html, " style="));        // no inline style
  CHECK(!std::regex_search(std::string(html), std::regex(R"(\son[a-z]+\s*=)")));  // no onclick=...
  std::string js;  // every script of the page
  for (const auto& a : dashboard_assets())
    if (a.content_type.rfind("text/javascript", 0) == 0) js += a.body;
  CHECK(contains(js, "export function renderAccounts"));  // the modules are all there
  CHECK(!contains(js, "innerHTML"));
  CHECK(!contains(js, "outerHTML"));
  CHECK(!contains(js, "insertAdjacentHTML"));
  CHECK(!contains(js, "document.write"));
  CHECK(!contains(js, "eval("));
  CHECK(!contains(js, "localStorage"));     // the token lives in sessionStorage only
  CHECK(contains(js, "sessionStorage"));
  CHECK(contains(js, "'Bearer '"));         // sent as a header...
  CHECK(!contains(js, "?token="));          // ...never in a URL
  CHECK(!contains(js, "access_token"));
}
