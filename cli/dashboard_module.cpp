// cli/dashboard_module.cpp — daemon module that mounts the built-in dashboard (order 55).
//
// GET /dashboard serves the page compiled into the binary and GET / redirects to it
// (http/dashboard_routes.hpp). The page reads and acts only through the admin API that the
// routes module (50) mounted, with the admin token the operator types in.
#include "cli/daemon_modules.hpp"
#include "http/dashboard_routes.hpp"
#include "http/http_server.hpp"

namespace qg {
namespace {

class DashboardModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    ctx.http.with_server([](httplib::Server& server) { register_dashboard_routes(server); });
    return "";
  }
};
QG_REGISTER_DAEMON_MODULE(55, DashboardModule);

}  // namespace
}  // namespace qg
