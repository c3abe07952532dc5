// http/http_server.cpp — see http_server.hpp.
#include "http/http_server.hpp"

#include "config/listen_address.hpp"
#include "http/request_id.hpp"
#include "http/tls_certificates.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <cstring>
#include <thread>

namespace qg {

struct HttpServer::Impl {
  HttpServerOptions options;
  std::unique_ptr<TlsCertificates> tls;  // set with HTTPS
  std::string tls_error;                  // the first load's failure, reported by bind()
  std::unique_ptr<httplib::Server> owned;  // httplib::Server or httplib::SSLServer
  httplib::Server* server_ptr = nullptr;
  std::thread thread;
  std::atomic<bool> finished{false};  // the accept loop returned
  std::atomic<bool> open{false};      // routes live (see header)
  std::function<HttpServer::StartupReply(const std::string&)> startup_handler;
  int port = 0;
  int listen_fd = -1;                 // captured to raise the accept backlog after bind
};

// httplib listens with a backlog of 5: a burst of connections (many clients starting
// streams at once) overflows it and waits for SYN retransmits (1 s, 3 s, ...).
constexpr int kListenBacklog = 4096;

HttpServerOptions http_options_from_config(const ServerConfig& server) {
  HttpServerOptions o;
  if (auto addr = parse_listen(server.listen)) {
    o.host = addr->host;
    o.port = addr->port;
  }
  o.threads = server.max_connections;
  o.max_body_bytes = static_cast<std::size_t>(server.max_body_bytes);
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
    impl_->owned = std::make_unique<httplib::SSLServer>([certs](SSL_CTX& ctx) {
      certs->install(&ctx);
      return true;
    });
  } else {
    impl_->owned = std::make_unique<httplib::Server>();
  }
  impl_->server_ptr = impl_->owned.get();
  auto& svr = *impl_->server_ptr;
  svr.set_socket_options([impl = impl_.get()](socket_t sock) {
    httplib::default_socket_options(sock);  // SO_REUSEADDR (+ SO_REUSEPORT), as without a hook
    impl->listen_fd = sock;
  });
  svr.set_tcp_nodelay(true);  // else each keep-alive reply stalls ~40 ms (Nagle + delayed ACK)
  svr.set_keep_alive_max_count(impl_->options.keep_alive_max_count);
  svr.set_payload_max_length(impl_->options.max_body_bytes);
  const int threads = impl_->options.threads > 0 ? impl_->options.threads : 1;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_pre_routing_handler([impl = impl_.get()](const httplib::Request& req,
                                                    httplib::Response& res) {
    // Every response carries x-request-id: the client's, or a new one (request_id.hpp).
    res.set_header(kRequestIdHeader, request_id_from(req.get_header_value(kRequestIdHeader)));
    if (impl->open.load(std::memory_order_acquire))
      return httplib::Server::HandlerResponse::Unhandled;
    StartupReply reply;
    if (impl->startup_handler) {
      reply = impl->startup_handler(req.path);
    } else {
      reply.body = R"({"error":{"message":"QuotaGuard is starting","type":"server_error",)"
                   R"("code":"starting"}})";
    }
    res.status = reply.status;
    if (reply.status == 503) res.set_header("Retry-After", "1");
    res.set_content(reply.body, reply.content_type.c_str());
    return httplib::Server::HandlerResponse::Handled;
  });
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
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool HttpServer::running() const { return impl_->server_ptr->is_running(); }

}  // namespace qg
