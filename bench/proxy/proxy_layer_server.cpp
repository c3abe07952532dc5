// bench/proxy/proxy_layer_server.cpp — the proxy routes alone, for measuring what the HTTP
// layer (parse, splice, upstream call, relay, usage extraction, rate-limit parsing) costs
// without the quota core: a backend that grants one account and ignores commits. The routes
// are served by the daemon's own listener (http/http_server.hpp: its connection loop, front
// door and held reply heads), so the difference to the daemon is the quota core alone —
// routing, the reservation's journal round trip and WAL sync, the actors' messages.
//
//   proxy_layer_server UPSTREAM_BASE_URL [THREADS]   -> "listening on 127.0.0.1:PORT"
// Drive it like any target, e.g. with bench/peers/bench.sh (see compare.sh).
#include "messages/proxy_backend.hpp"
#include "http/http_server.hpp"
#include "http/proxy_routes.hpp"

#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

class OneAccountBackend : public qg::ProxyBackend {
 public:
  explicit OneAccountBackend(std::string base) : base_(std::move(base)) {}
  qg::RouteGrant route_and_reserve(const qg::RouteRequest& ask) override {
    qg::RouteGrant g;
    g.ok = ask.exclude.empty();
    g.account_id = "mock";
    g.reservation_id = "r";
    g.model_upstream = ask.model;
    g.base_url = base_;
    g.provider = "openai";
    g.api_key = "sk-mock";
    return g;
  }
  void commit(const std::string&, const std::string&, const qg::Usage&, bool) override {}
  void release(const std::string&, const std::string&, const std::string&) override {}
  void report_outcome(const std::string&, const qg::UpstreamOutcome&) override {}
  std::vector<std::string> models() override { return {"gpt-4o-mini"}; }

 private:
  std::string base_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s UPSTREAM_BASE_URL [THREADS]\n", argv[0]);
    return 2;
  }
  qg::HttpServerOptions options;
  options.port = 0;
  options.threads = argc > 2 ? std::stoi(argv[2]) : 64;
  qg::HttpServer server(options);
  std::string error;
  if (!server.bind(error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  server.start();
  server.with_server([&](httplib::Server& s) {
    qg::register_proxy_routes(s, std::make_shared<OneAccountBackend>(argv[1]), qg::ProxyOptions{});
  });
  server.open();
  std::fprintf(stderr, "listening on 127.0.0.1:%d\n", server.port());
  std::signal(SIGPIPE, SIG_IGN);
  while (true) ::pause();  // until killed
}
