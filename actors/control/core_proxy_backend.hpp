// actors/control/core_proxy_backend.hpp — the proxy's seam (messages/proxy_backend.hpp) over the core.
//
// route_and_reserve asks the router actor (promise bridge) and adds what the HTTP layer needs
// to call the upstream: base URL, provider, credential (from config, never from events) and the
// model to send (`<prefix>/<model>` for pinned CLIProxyAPI accounts). commit/release block
// until the journal has the event, so a client never holds an answer whose usage could be
// lost; outcomes and observations are fire-and-forget.
#pragma once

#include "messages/proxy_backend.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace qg {

class Core;
struct Config;

class CoreProxyBackend : public ProxyBackend {
 public:
  explicit CoreProxyBackend(Core& core);
  RouteGrant route_and_reserve(const RouteRequest& request) override;
  void commit(const std::string& account_id, const std::string& reservation_id, const Usage& usage,
              bool estimated) override;
  void commit_reporting(const std::string& account_id, const std::string& reservation_id, const Usage& usage,
                        bool estimated, const UpstreamOutcome& outcome) override;  // one message
  void release(const std::string& account_id, const std::string& reservation_id,
               const std::string& reason) override;
  void report_outcome(const std::string& account_id, const UpstreamOutcome& outcome) override;
  std::vector<std::string> models() override;
  RouteGrant account_target(const std::string& account_id) override;

  // Re-reads credentials and defaults from the config (after a reload).
  void refresh(const Config& config);

 private:
  struct Credentials {
    std::map<std::string, std::string> api_keys;  // account id -> key (config accounts)
    std::string cliproxy_key;
    std::string cliproxy_base_url;
    std::int64_t ttl_ms = 600'000;
  };
  std::shared_ptr<const Credentials> credentials() const;

  Core& core_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Credentials> credentials_;
};

}  // namespace qg
