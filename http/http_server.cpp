// http/http_server.cpp — see http_server.hpp.
#include "http/http_server.hpp"

#include "config/listen_address.hpp"
#include "http/request_id.hpp"
#include "http/tls_certificates.hpp"
#include "http/elastic_thread_pool.hpp"
#include "http/keep_alive_server.hpp"
#include "http/keep_alive_ssl_server.hpp"
#include "http/openai_errors.hpp"
#include "http/ratelimit_parsers.hpp"  // header_name_equals
#include "http/reply_head.hpp"
#include "http/request_framing.hpp"
#include "messages/text_cut.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

namespace qg {

namespace {

std::string default_error_body(int status, std::string_view code, std::string_view message) {
  return openai_error_json(message, openai_error_type(status), code);
}

// Code and message of an error status that arrives without a body (httplib's own answers).
std::pair<const char*, std::string> default_error(const httplib::Request& req, int status) {
  switch (status) {
    case 400: return {"invalid_request", "malformed HTTP request"};
    case 404: return {"not_found", "no route for " + req.method + " " + std::string(utf8_prefix(req.path, 200))};
    case 405: return {"method_not_allowed", "method " + req.method + " not allowed here"};
    case 413: return {"request_too_large", "request body too large"};
    case 414: return {"uri_too_long", "request URI too long"};
    case 416: return {"range_not_satisfiable", "range not satisfiable"};
    case 503: return {"unavailable", "service unavailable"};
    default: return {status >= 500 ? "internal_error" : "invalid_request", "HTTP " + std::to_string(status)};
  }
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  std::unique_ptr<TlsCertificates> tls;  // set with HTTPS
  std::string tls_error;                  // the first load's failure, reported by bind()
  std::unique_ptr<httplib::Server> owned;  // KeepAliveServer or KeepAliveSslServer
  httplib::Server* server_ptr = nullptr;
  KeepAliveServer* plain = nullptr;        // set without TLS (http/keep_alive_server.hpp)
  KeepAliveSslServer* secure = nullptr;    // set with TLS (http/keep_alive_ssl_server.hpp)
  std::thread thread;
  std::atomic<bool> finished{false};  // the accept loop returned
  std::atomic<bool> open{false};      // routes live (see header)
  std::function<HttpServer::StartupReply(const std::string&)> startup_handler;
  int port = 0;
  int listen_fd = -1;                 // captured to raise the accept backlog after bind
  std::vector<RouteFamily> families;  // front door; fixed once open

  const RouteFamily* family_of(const std::string& path) const {
    const RouteFamily* best = nullptr;
    for (const auto& f : families)
      if (path.compare(0, f.prefix.size(), f.prefix) == 0 && (!best || f.prefix.size() > best->prefix.size()))
        best = &f;
    return best;
  }
  std::size_t body_bound(const RouteFamily* f) const {
    return f && f->max_body_bytes > 0 ? f->max_body_bytes : options.max_body_bytes;
  }
  void fail(const httplib::Request& req, httplib::Response& res, int status, std::string_view code,
            std::string_view message) const {
    res.status = status;
    const RouteFamily* f = family_of(req.path);
    res.set_content(f && f->error_body ? f->error_body(status, code, message) : default_error_body(status, code, message),
                    "application/json");
  }
  // Every request, before httplib reads its body (see the header's "Front door"): Unhandled
  // lets httplib read it and route. Until open(), the startup answer.
  httplib::Server::HandlerResponse front_door(const httplib::Request& req, httplib::Response& res) const;
  // After the framing checks, with the routes live: the body bound (413) and the credential (401).
  bool admit(const httplib::Request& req, httplib::Response& res, std::uint64_t content_length, bool has_body) const;
  void startup_reply(const httplib::Request& req, httplib::Response& res) const;
};

namespace {

// The one rule for bodies nobody reads: the answer says "Connection: close", and the listener
// ends the connection after it (http/keep_alive_server.hpp), so the unread bytes are never
// parsed as a next request (request smuggling).
void end_connection(httplib::Response& res) { res.set_header("Connection", "close"); }

// The methods whose body httplib 0.11 reads before routing (its detail::expect_content); any
// other method's body stays unread.
bool httplib_reads_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

}  // namespace

httplib::Server::HandlerResponse HttpServer::Impl::front_door(const httplib::Request& req,
                                                               httplib::Response& res) const {
  using HR = httplib::Server::HandlerResponse;
  FramingHeaders headers;
  headers.reserve(req.headers.size());
  for (const auto& [k, v] : req.headers) headers.emplace_back(k, v);
  const Framing framing = check_framing(headers);
  if (framing.error != FramingError::none) {
    fail(req, res, 400, "invalid_request", framing_message(framing.error));
    end_connection(res);  // where the body ends, and the next request starts, is unknown
    return HR::Handled;
  }
  const bool has_body = framing.chunked || framing.content_length > 0;
  if (!framing.chunked && !framing.has_length && (req.method == "POST" || req.method == "PUT" ||
                                                  req.method == "PATCH" || req.method == "DELETE")) {
    // No body (RFC 9112 §6.3 rule 7). httplib would read until EOF and then answer 400; the
    // request object is ours (httplib's const is only the handler signature), so say it.
    const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
  }
  bool answered = true;
  if (open.load(std::memory_order_acquire)) answered = !admit(req, res, framing.content_length, has_body);
  else startup_reply(req, res);
  // Answered here, or a method whose body httplib never reads: the body stays unread.
  if (has_body && (answered || !httplib_reads_body(req.method))) end_connection(res);
  // httplib 0.11 ends a chunked body at the first line after a chunk's data that is not its
  // CRLF, and reports success: chunk data longer than its size leaves the rest on the
  // connection, parsed as the next request. Nothing after the read tells the two apart, so a
  // chunked request's connection ends after its answer, whichever route (or 404) answers it.
  else if (framing.chunked) end_connection(res);
  return answered ? HR::Handled : HR::Unhandled;
}

bool HttpServer::Impl::admit(const httplib::Request& req, httplib::Response& res, std::uint64_t content_length,
                             bool has_body) const {
  const RouteFamily* family = family_of(req.path);
  const std::size_t bound = body_bound(family);
  if (content_length > bound) {
    fail(req, res, 413, "request_too_large", "Request body exceeds " + std::to_string(bound) + " bytes.");
    return false;
  }
  // Authenticate before a body is read. Bodiless requests go on to their handler, which checks
  // the same credential and counts the refusal in its metrics.
  if (has_body && family && family->admit && !family->admit(req, res)) {
    if (res.body.empty()) fail(req, res, res.status > 0 ? res.status : 401, "unauthorized", "unauthorized");
    return false;
  }
  return true;
}

// Until open() (and again after close()): the startup handler's answer, or 503 "starting".
void HttpServer::Impl::startup_reply(const httplib::Request& req, httplib::Response& res) const {
  StartupReply reply;
  if (startup_handler) {
    reply = startup_handler(req.path);
  } else {
    reply.body = R"({"error":{"message":"QuotaGuard is starting","type":"server_error",)"
                 R"("code":"starting"}})";
  }
  res.status = reply.status;
  if (reply.status == 503) res.set_header("Retry-After", "1");
  res.set_content(reply.body, reply.content_type.c_str());
}

// httplib listens with a backlog of 5: a burst of connections (many clients starting
// streams at once) overflows it and waits for SYN retransmits (1 s, 3 s, ...).
constexpr int kListenBacklog = 4096;
// How long the kernel holds a connection that has sent nothing before handing it over anyway.
constexpr int kDeferAcceptSeconds = 30;

HttpServerOptions http_options_from_config(const ServerConfig& server) {
  HttpServerOptions o;
  if (auto addr = parse_listen(server.listen)) {
    o.host = addr->host;
    o.port = addr->port;
  }
  o.threads = server.max_connections;
  // Paths in no route family: the admin bound, never above the overall one.
  o.max_body_bytes = static_cast<std::size_t>(std::min(server.max_admin_body_bytes, server.max_body_bytes));
  o.tls_cert = server.tls.cert;
  o.tls_key = server.tls.key;
  return o;
}

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.tls_cert.empty()) {
    impl_->tls = std::make_unique<TlsCertificates>(impl_->options.tls_cert, impl_->options.tls_key);
    impl_->tls->reload(impl_->tls_error);
    TlsCertificates* certs = impl_->tls.get();
    auto secure = std::make_unique<KeepAliveSslServer>([certs](SSL_CTX& ctx) {
      certs->install(&ctx);
      return true;
    });
    impl_->secure = secure.get();
    impl_->owned = std::move(secure);
  } else {
    auto plain = std::make_unique<KeepAliveServer>();
    impl_->plain = plain.get();
    impl_->owned = std::move(plain);
  }
  impl_->server_ptr = impl_->owned.get();
  auto& svr = *impl_->server_ptr;
  svr.set_socket_options([impl = impl_.get()](socket_t sock) {
    httplib::default_socket_options(sock);  // SO_REUSEADDR (+ SO_REUSEPORT), as without a hook
    // A connection reaches accept() (and a worker thread) only once its first bytes arrived:
    // each accepted connection holds a thread, so thousands of silent connections would starve
    // everyone else (issue 15 item 10).
    int defer_s = kDeferAcceptSeconds;
    ::setsockopt(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s);
    impl->listen_fd = sock;
  });
  svr.set_tcp_nodelay(true);  // else each keep-alive reply stalls ~40 ms (Nagle + delayed ACK)
  svr.set_keep_alive_max_count(impl_->options.keep_alive_max_count);
  svr.set_payload_max_length(impl_->options.max_body_bytes);
  const int threads = impl_->options.threads > 0 ? impl_->options.threads : 1;
  // Threads on demand up to `threads`: an idle connection never makes another one wait. Threads
  // beyond 16 exit 2 s after their connection ended, so the stacks of an idle-connection storm
  // go back to the OS within seconds (measured: 2,000 idle connections held 25 MB for 30 s
  // with the pool's default; tests/hostile "acceptance: ...").
  svr.new_task_queue = [threads] {
    return new ElasticThreadPool(static_cast<std::size_t>(std::min(threads, 16)), static_cast<std::size_t>(threads),
                                 std::chrono::seconds{2});
  };
  svr.set_pre_routing_handler([impl = impl_.get()](const httplib::Request& req,
                                                    httplib::Response& res) {
    begin_reply(res);  // headers held until the head is written (http/reply_head.hpp)
    // Every response carries x-request-id: the client's, or a new one (request_id.hpp).
    add_reply_header(res, kRequestIdHeader, request_id_from(req.get_header_value(kRequestIdHeader)));
    return impl->front_door(req, res);
  });
  // Last before httplib writes the head: the held headers join, the head becomes one line.
  // Every answer, httplib's own included, passes here: one look at its Connection header says
  // whether the connection ends after it (http/keep_alive_server.hpp).
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (header_name_equals(reply_header(res, "Connection"), "close")) end_connection_after_answer();
    finish_reply_head(res);
  });
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [impl = impl_.get()](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.status < 400) return httplib::Server::HandlerResponse::Unhandled;
        const auto [code, message] = default_error(req, res.status);
        impl->fail(req, res, res.status, code, message);
        // httplib's own 400/413/414: a request it could not read whole (request line, headers,
        // a malformed chunked body), so what follows on the connection is no request.
        if (res.status == 400 || res.status == 413 || res.status == 414) end_connection(res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                               std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("http: {} {} failed: {}", req.method, req.path, what);
    res.status = 500;
    res.set_content(
        R"({"error":{"message":"internal error","type":"server_error","code":"internal_error"}})",
        "application/json");
  });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::with_server(const std::function<void(httplib::Server&)>& configure) {
  if (impl_->open.load(std::memory_order_acquire))
    throw std::logic_error("HttpServer::with_server after open(): routes must be added before");
  configure(*impl_->server_ptr);
}

void HttpServer::add_route_family(RouteFamily family) {
  if (impl_->open.load(std::memory_order_acquire))
    throw std::logic_error("HttpServer::add_route_family after open()");
  // httplib's own bound (chunked bodies) is the largest of all; Content-Length is checked per
  // family in front_door.
  std::size_t largest = impl_->options.max_body_bytes;
  for (const auto& f : impl_->families) largest = std::max(largest, f.max_body_bytes);
  impl_->server_ptr->set_payload_max_length(std::max(largest, family.max_body_bytes));
  impl_->families.push_back(std::move(family));
}

void HttpServer::set_startup_handler(std::function<StartupReply(const std::string&)> handler) {
  if (impl_->server_ptr->is_running())
    throw std::logic_error("HttpServer::set_startup_handler after start()");
  impl_->startup_handler = std::move(handler);
}

void HttpServer::open() { impl_->open.store(true, std::memory_order_release); }
void HttpServer::close() { impl_->open.store(false, std::memory_order_release); }
bool HttpServer::is_open() const { return impl_->open.load(std::memory_order_acquire); }

bool HttpServer::tls() const { return impl_->tls != nullptr; }

bool HttpServer::reload_tls(const std::string& cert, const std::string& key, std::string& error) {
  if (!impl_->tls) return true;
  return impl_->tls->reload(cert, key, error);
}

bool HttpServer::bind(std::string& error) {
  const auto& o = impl_->options;
  if (!impl_->tls_error.empty()) {
    error = impl_->tls_error;
    return false;
  }
  errno = 0;
  bool bound = false;
  if (o.port == 0) {
    int port = impl_->server_ptr->bind_to_any_port(o.host);
    if (port > 0) {
      impl_->port = port;
      bound = true;
    }
  } else if (impl_->server_ptr->bind_to_port(o.host, o.port)) {
    impl_->port = o.port;
    bound = true;
  }
  if (bound) {
    if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, kListenBacklog);
    return true;
  }
  error = "cannot listen on " + o.host + ":" + std::to_string(o.port) +
          (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : std::string());
  return false;
}

int HttpServer::port() const { return impl_->port; }
const std::string& HttpServer::host() const { return impl_->options.host; }

void HttpServer::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] {
    impl_->server_ptr->listen_after_bind();
    impl_->finished = true;
  });
  // stop() only acts on a running server: wait until the accept loop is up.
  while (!impl_->server_ptr->is_running() && !impl_->finished)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  if (impl_->server_ptr->is_running() || impl_->thread.joinable()) impl_->server_ptr->stop();
  // Idle keep-alive connections (and TLS handshakes) end now.
  if (impl_->plain) impl_->plain->wake_waiting();
  if (impl_->secure) impl_->secure->wake_waiting();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool HttpServer::running() const { return impl_->server_ptr->is_running(); }

}  // namespace qg
