// tests/http/open_listener.hpp — the daemon's listener (HttpServer) on a free port of
// 127.0.0.1 with a test's routes, open for requests: the keep-alive and socket-call tests.
#pragma once

#include "http/http_server.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <functional>
#include <string>

namespace qg::test {

inline HttpServerOptions free_port_options() {
  HttpServerOptions o;
  o.port = 0;
  return o;
}

// Adds `routes` to `server` (made with free_port_options()), binds, starts and opens it.
inline void open_listener(HttpServer& server, const std::function<void(httplib::Server&)>& routes) {
  server.with_server(routes);
  std::string error;
  REQUIRE_MESSAGE(server.bind(error), error);
  server.start();
  server.open();
}

}  // namespace qg::test
