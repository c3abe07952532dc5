// http/dashboard_routes.hpp — the built-in dashboard's page (docs/DASHBOARD.md).
//
// GET /dashboard (and /dashboard/) answer index.html, GET /dashboard/<file> the page's other
// files, all compiled into the binary (dashboard/dashboard_assets.hpp); GET / redirects to
// /dashboard (nothing else in the daemon answers /). The page holds no data and needs no
// token: it asks for the admin token and calls the admin API with it, so every figure and
// every action is behind the admin API's auth.
// Every answer carries a Content-Security-Policy that allows only this origin's scripts,
// styles and fetches (no inline script, no framing, no form submission anywhere),
// X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and Cache-Control: no-cache
// with an ETag (If-None-Match -> 304).
#pragma once

namespace httplib {
class Server;
}

namespace qg {

// The Content-Security-Policy value the dashboard is served with.
extern const char* const kDashboardCsp;

void register_dashboard_routes(httplib::Server& server);

}  // namespace qg
