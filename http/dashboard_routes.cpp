// http/dashboard_routes.cpp — see dashboard_routes.hpp.
#include "http/dashboard_routes.hpp"

#include "dashboard/dashboard_assets.hpp"

#include <httplib.h>

#include <string>

namespace qg {

const char* const kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

namespace {

void security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", kDashboardCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-cache");
}

void send_asset(const httplib::Request& req, httplib::Response& res, const std::string& name) {
  security_headers(res);
  const DashboardAsset* asset = find_dashboard_asset(name);
  if (!asset) {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  res.set_header("ETag", std::string(asset->etag));
  if (req.get_header_value("If-None-Match") == asset->etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type).c_str());
}

}  // namespace

void register_dashboard_routes(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    security_headers(res);
    res.set_redirect("/dashboard", 302);
  });
  auto index = [](const httplib::Request& req, httplib::Response& res) {
    send_asset(req, res, "index.html");
  };
  server.Get("/dashboard", index);
  server.Get("/dashboard/", index);
  server.Get(R"(/dashboard/([A-Za-z0-9_.-]+))", [](const httplib::Request& req, httplib::Response& res) {
    send_asset(req, res, req.matches[1].str());
  });
}

}  // namespace qg
