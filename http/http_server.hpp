// http/http_server.hpp — the daemon's HTTP listener: an httplib::Server tuned as docs/ARCHITECTURE.md
// ("Toolchain facts") says.
//
// Owns the httplib::Server behind a pimpl so httplib stays out of this header: TCP_NODELAY on,
// keep-alive kept for many requests (an idle connection waits in one poll, not httplib's
// poll-and-sleep loop: http/keep_alive_server.hpp), workers started on demand up to `threads`
// (httplib holds one thread per connection, so it bounds concurrent connections and streams;
// see http/elastic_thread_pool.hpp), and TCP_DEFER_ACCEPT so a connection that sends nothing
// never takes a worker. Binding port 0 picks a free port; port() says which.
//
// httplib's route tables are not thread-safe, yet the daemon serves /health and /ready while
// modules still start (and add routes). So the server starts "closed": until open() every
// request is answered by the startup handler (before httplib looks at any route), and routes
// may be added with with_server() meanwhile. open() makes the registered routes live; adding
// routes after it throws std::logic_error.
// Usage: bind() -> start() -> with_server(add routes)... -> open() -> ... -> stop().
//
// Front door (every request, before httplib reads its body): ambiguous framing is refused
// (http/request_framing.hpp); a POST/PUT with neither Content-Length nor Transfer-Encoding has
// an empty body (RFC 9112 §6.3; httplib would wait for EOF and answer an empty 400); the
// request's route family (longest path prefix, see add_route_family) bounds the body by
// Content-Length (413) and authenticates (401) before a byte of it is read. Every error reply
// without a body — httplib's own 400/404/413/414 included — gets one in the family's shape.
// A body nobody reads ends its connection (one rule, end_connection in http_server.cpp): an
// answer given before the body is read (framing 400, 413, 401, the startup answer), a body on
// a method httplib does not read one for (GET, HEAD, OPTIONS...) and httplib's own 400/413/414
// say "Connection: close", and the listener closes after them (keep_alive_server.hpp), so the
// unread bytes are never parsed as a next request (request smuggling). So does every chunked
// request: httplib 0.11 ends a chunked body where a chunk's data runs past its size. Bodiless requests keep
// their connection, before open() too (health probes).
#pragma once

#include "config/config.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace qg {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8318;                        // 0 = any free port
  int threads = 512;                      // worker pool size
  std::size_t max_body_bytes = 10'485'760;   // bodies of paths in no route family
  std::size_t keep_alive_max_count = 1'000'000;
  std::string tls_cert;                   // both set: HTTPS (http/tls_certificates.hpp)
  std::string tls_key;
};

// Requests whose path starts with `prefix` (the longest registered prefix wins).
struct RouteFamily {
  std::string prefix;
  std::size_t max_body_bytes = 0;  // 0 = HttpServerOptions::max_body_bytes
  // Runs after the headers, before a body is read (requests without a body skip it: their
  // handler checks the same credential): true lets the request on; false means refused, with
  // the response filled (e.g. 401). Empty = no check here.
  std::function<bool(const httplib::Request&, httplib::Response&)> admit;
  // The body of an error reply in the family's dialect. Empty = OpenAI shape.
  std::function<std::string(int status, std::string_view code, std::string_view message)> error_body;
};

// Options from server.listen / max_connections / max_body_bytes (listen must be valid).
HttpServerOptions http_options_from_config(const ServerConfig& server);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stops and joins if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // True when the listener speaks HTTPS (options tls_cert/tls_key).
  bool tls() const;
  // Reads the certificate and key again (new paths when they changed) for new connections;
  // false, with the reason, keeps the current pair. No-op (true) without TLS.
  bool reload_tls(const std::string& cert, const std::string& key, std::string& error);

  // Gives `configure` the underlying server to add routes/handlers. Only before open().
  void with_server(const std::function<void(httplib::Server&)>& configure);

  // Registers a route family (front door, above). Only before open().
  void add_route_family(RouteFamily family);

  // Answers every request until open() (default: 503 with an OpenAI-shaped "starting" error).
  // `path` is the request path; fill status, body and content type of the reply.
  struct StartupReply {
    int status = 503;
    std::string body;
    std::string content_type = "application/json";
  };
  void set_startup_handler(std::function<StartupReply(const std::string& path)> handler);
  // Routes registered so far go live; idempotent.
  void open();
  // Stops serving routes again (new requests get the startup handler's answer, e.g. 503)
  // while the listener keeps running: the first step of a graceful shutdown.
  void close();
  bool is_open() const;

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
