// cli/core_module.cpp — daemon modules that start the core and mount its HTTP routes.
//
//   CoreModule (10): qg::Core — event log, journal, account actors, router. Shares the Core,
//                    its Operations, ProxyBackend and JournalHealth through DaemonServices.
//   RoutesModule (50): the OpenAI-compatible proxy, the admin API, the Go-compatible advisory
//                    API and /metrics, all over the same core.
#include "actors/control/core.hpp"
#include "actors/control/core_operations.hpp"
#include "actors/control/core_proxy_backend.hpp"
#include "cli/daemon_modules.hpp"
#include "cli/serve_options.hpp"
#include "config/config_loader.hpp"
#include "config/logging.hpp"
#include "http/admin_routes.hpp"
#include "http/advisory_routes.hpp"
#include "http/api_support.hpp"
#include "http/client_auth.hpp"
#include "http/http_server.hpp"
#include "http/metrics_routes.hpp"
#include "http/proxy_routes.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "telegram/bot_settings.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace qg::cli {
namespace {
LoadOptions& stored_options() {
  static LoadOptions options;
  return options;
}
}  // namespace
void set_serve_load_options(const LoadOptions& options) { stored_options() = options; }
const LoadOptions& serve_load_options() { return stored_options(); }
}  // namespace qg::cli

namespace qg {
namespace {

// The model names the operator wrote (accounts' `models`, fallback chains): they keep their own
// metrics label whatever clients sent first (metrics::keep_model_labels).
void keep_configured_model_labels(const Config& c) {
  std::vector<std::string> names;
  for (const auto& a : c.accounts) names.insert(names.end(), a.models.begin(), a.models.end());
  for (const auto& [model, chain] : c.router.fallback_chains) {
    names.push_back(model);
    names.insert(names.end(), chain.begin(), chain.end());
  }
  metrics::keep_model_labels(names);
}

class CoreModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    try {
      core_ = std::shared_ptr<Core>(Core::start(ctx.system, ctx.config).release());
    } catch (const std::exception& e) {
      return e.what();
    }
    auto ops = std::static_pointer_cast<CoreOperations>(core_->operations_ptr());
    ops->set_config_source([](std::string& error) -> std::optional<Config> {
      LoadResult loaded = load_config(cli::serve_load_options());
      if (!loaded.ok()) {
        error = loaded.error;
        return std::nullopt;
      }
      register_config_secrets(loaded.config);  // secrets new in this file are redacted too
      // A reload never opens the daemon (an emptied admin_token or api_keys on a public listen).
      if (std::string open = exposure_refusal(loaded.config.server); !open.empty()) {
        error = open;
        return std::nullopt;
      }
      return loaded.config;
    });
    ops->set_token_store([storage = ctx.config.storage](const std::string& token,
                                                        const std::string& config_token) {
      if (!telegram::looks_like_bot_token(token))
        return OpAnswer<Done>::fail(OpError::invalid_argument,
                                    "token: does not look like a Telegram bot token (<digits>:<35 characters>)");
      try {
        telegram::store_bot_token(*telegram::open_bot_store(storage), token, config_token);
      } catch (const std::exception& e) {
        return OpAnswer<Done>::fail(OpError::unavailable, std::string("could not store the token: ") + e.what());
      }
      return OpAnswer<Done>{};
    });
    auto proxy = std::static_pointer_cast<CoreProxyBackend>(core_->proxy_ptr());
    ops->on_reload([proxy](const Config& c) { proxy->refresh(c); });
    keep_configured_model_labels(ctx.config);
    ops->on_reload([](const Config& c) { keep_configured_model_labels(c); });
    // HTTPS: a reload (admin API, /qg_reload, SIGHUP) reads the certificate and key again.
    ops->on_reload([http = &ctx.http](const Config& c) {
      if (!http->tls()) return;
      std::string error;
      if (http->reload_tls(c.server.tls.cert, c.server.tls.key, error))
        spdlog::info("tls: certificate reloaded from {}", c.server.tls.cert);
      else
        spdlog::error("tls: reload failed, keeping the current certificate: {}", error);
    });
    ctx.services.put(core_);
    ctx.services.put(core_->operations_ptr());
    ctx.services.put(core_->proxy_ptr());
    ctx.services.put(core_->journal_health());  // /health and /ready report it
    return "";
  }
  void stop(DaemonContext&) override {
    if (core_) core_->stop();
  }

 private:
  std::shared_ptr<Core> core_;
};
QG_REGISTER_DAEMON_MODULE(10, CoreModule);

class RoutesModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    auto core = ctx.services.get<Core>();
    if (!core) return "the core is not running";
    const Config& c = ctx.config;
    ProxyOptions proxy;
    proxy.api_keys = c.server.api_keys;
    proxy.max_body_bytes = static_cast<std::size_t>(c.server.max_body_bytes);
    proxy.max_attempts = c.proxy.max_attempts;
    proxy.connect_timeout_ms = c.proxy.connect_timeout.count();
    proxy.first_byte_timeout_ms = c.proxy.first_byte_timeout.count();
    proxy.idle_timeout_ms = c.proxy.idle_timeout.count();
    proxy.default_max_tokens = c.reservations.default_max_tokens;
    proxy.max_sse_event_bytes = static_cast<std::size_t>(c.proxy.max_sse_event_bytes);
    proxy.max_response_bytes = static_cast<std::size_t>(c.proxy.max_response_bytes);
    proxy.request_timeout_ms = c.proxy.request_timeout.count();
    proxy.auth = std::make_shared<ClientAuth>(c.server.api_keys);
    // A reload rotates the client keys: a key removed from server.api_keys stops working.
    std::static_pointer_cast<CoreOperations>(core->operations_ptr())
        ->on_reload([auth = proxy.auth](const Config& next) { auth->replace(next.server.api_keys); });
    // Front door: each family authenticates and bounds its bodies before they are read.
    // Each dialect's family answers its errors in the dialect's own shape.
    for (const char* family : {"/v1/", "/v1/messages", "/v1/responses", "/v1beta/"})
      ctx.http.add_route_family({family, static_cast<std::size_t>(c.server.max_body_bytes), client_admit(proxy.auth),
                                 [path = std::string(family)](int status, std::string_view code, std::string_view message) {
                                   return client_error_body(path, status, code, message);
                                 }});
    // One admin token for every admin route; a reload rotates it (the old one stops working).
    auto admin_token = std::make_shared<AdminToken>(c.server.admin_token);
    std::static_pointer_cast<CoreOperations>(core->operations_ptr())
        ->on_reload([admin_token](const Config& next) { admin_token->replace(next.server.admin_token); });
    ctx.services.put(admin_token);  // the Telegram module's /api/v1/telegram/update
    // Admin and other paths: their own bound, never above the overall server.max_body_bytes.
    const std::size_t admin_body = static_cast<std::size_t>(std::min(c.server.max_admin_body_bytes, c.server.max_body_bytes));
    ctx.http.add_route_family({"/api/v1/", admin_body, admin_admit(ApiAuth{admin_token, false}), {}});
    for (const char* advisory : {"/router/", "/quotas", "/ingest", "/reservations"})
      ctx.http.add_route_family({advisory, admin_body, admin_admit(ApiAuth{admin_token, true}), {}});
    proxy.default_output_tokens = c.reservations.default_output_tokens;
    if (!c.storage.db_path.empty() && c.storage.db_path != ":memory:")
      proxy.responses_path = c.storage.db_path + "-responses";
    Operations& ops = core->operations();
    ctx.http.with_server([&](httplib::Server& server) {
      register_proxy_routes(server, core->proxy_ptr(), proxy);
      register_admin_routes(server, ops, AdminRouteOptions{admin_token, admin_body});
      AdvisoryRouteOptions advisory;
      advisory.admin_token = admin_token;
      advisory.max_body_bytes = admin_body;
      register_advisory_routes(server, ops, advisory);
      register_metrics_routes(server, ops);
    });
    return "";
  }
};
QG_REGISTER_DAEMON_MODULE(50, RoutesModule);

}  // namespace
}  // namespace qg
