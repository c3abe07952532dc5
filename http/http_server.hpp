// http/http_server.hpp — the daemon's HTTP listener: an httplib::Server tuned per TOOLCHAIN.md.
//
// Owns the httplib::Server behind a pimpl so httplib stays out of this header: TCP_NODELAY on,
// keep-alive kept for many requests, a worker pool of `threads` (one thread per connection,
// so it bounds concurrent connections and streams), request bodies capped at max_body_bytes.
// Modules add their routes with with_server() before start(). Binding port 0 picks a free
// port; port() says which. Usage: configure routes -> bind() -> start() -> ... -> stop().
#pragma once

#include "config/config.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace qg {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8318;                        // 0 = any free port
  int threads = 512;                      // worker pool size
  std::size_t max_body_bytes = 10'485'760;
  std::size_t keep_alive_max_count = 1'000'000;
};

// Options from server.listen / max_connections / max_body_bytes (listen must be valid).
HttpServerOptions http_options_from_config(const ServerConfig& server);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stops and joins if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Gives `configure` the underlying server to add routes/handlers. Call before start().
  void with_server(const std::function<void(httplib::Server&)>& configure);

  // Binds the listening socket. False with a one-line `error` when the address is unusable.
  bool bind(std::string& error);
  // The bound port (after bind()), or 0.
  int port() const;
  const std::string& host() const;

  // Serves on a background thread until stop().
  void start();
  // Stops accepting, closes the listener and joins the thread. Idempotent.
  void stop();
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qg
