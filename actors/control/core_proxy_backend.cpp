// actors/control/core_proxy_backend.cpp
#include "actors/control/core_proxy_backend.hpp"

#include "actors/control/core.hpp"
#include "quota/circuit_breaker.hpp"

#include <set>

namespace qg {

CoreProxyBackend::CoreProxyBackend(Core& core) : core_(core) { refresh(core.config()); }

void CoreProxyBackend::refresh(const Config& config) {
  auto c = std::make_shared<Credentials>();
  for (const auto& a : config.accounts) c->api_keys[a.id] = a.api_key;
  c->cliproxy_key = config.cliproxy.api_key;
  c->cliproxy_base_url = config.cliproxy.base_url;
  c->ttl_ms = config.reservations.ttl.count();
  std::lock_guard lock(mutex_);
  credentials_ = std::move(c);
}

std::shared_ptr<const CoreProxyBackend::Credentials> CoreProxyBackend::credentials() const {
  std::lock_guard lock(mutex_);
  return credentials_;
}

RouteGrant CoreProxyBackend::route_and_reserve(const RouteRequest& request) {
  const auto creds = credentials();
  RouteRequest routed = request;
  routed.ttl_ms = creds->ttl_ms;
  RouteGrant g = core_.route(std::move(routed));
  if (!g.ok) return g;
  if (g.provider.empty()) {  // decided without a reservation (count_tokens): read the spec
    RouteGrant target = account_target(g.account_id);
    target.reservation_id = g.reservation_id;
    const auto spec = core_.directory().spec(g.account_id);
    target.model_upstream = spec && !spec->prefix.empty() ? spec->prefix + "/" + g.model_used : g.model_used;
    return target;
  }
  const bool cliproxy = g.provider == "cliproxy";
  if (g.base_url.empty() && cliproxy) g.base_url = creds->cliproxy_base_url;
  g.model_upstream = !g.prefix.empty() ? g.prefix + "/" + g.model_used : g.model_used;
  if (auto it = creds->api_keys.find(g.account_id); it != creds->api_keys.end()) g.api_key = it->second;
  else if (cliproxy) g.api_key = creds->cliproxy_key;
  return g;
}

RouteGrant CoreProxyBackend::account_target(const std::string& account_id) {
  const auto creds = credentials();
  const auto spec = core_.directory().spec(account_id);
  RouteGrant g;
  if (!spec || !spec->enabled) {
    g.http_status = 404;
    g.error_code = "not_found";
    g.error_message = "account " + account_id + " is not available";
    return g;
  }
  g.ok = true;
  g.account_id = account_id;
  g.provider = spec->provider;
  const bool cliproxy = g.provider == "cliproxy";
  g.base_url = !spec->base_url.empty() ? spec->base_url : (cliproxy ? creds->cliproxy_base_url : "");
  if (auto it = creds->api_keys.find(account_id); it != creds->api_keys.end()) g.api_key = it->second;
  else if (cliproxy) g.api_key = creds->cliproxy_key;
  return g;
}

void CoreProxyBackend::commit(const std::string& account_id, const std::string& reservation_id,
                              const Usage& usage, bool estimated) {
  core_.resolve_async(account_id, ReservationCommitted{reservation_id, usage, estimated}, reservation_id);
}

void CoreProxyBackend::commit_reporting(const std::string& account_id, const std::string& reservation_id,
                                        const Usage& usage, bool estimated, const UpstreamOutcome& outcome) {
  core_.resolve_async(account_id, ReservationCommitted{reservation_id, usage, estimated}, reservation_id, outcome);
}

void CoreProxyBackend::release(const std::string& account_id, const std::string& reservation_id,
                               const std::string& reason) {
  core_.resolve_async(account_id, ReservationReleased{reservation_id, reason}, reservation_id);
}

void CoreProxyBackend::report_outcome(const std::string& account_id, const UpstreamOutcome& outcome) {
  core_.report(account_id, outcome);  // the account records the windows it shows, too
}

std::vector<std::string> CoreProxyBackend::models() {
  std::set<std::string> all;
  for (const auto& [id, spec] : core_.directory().specs()) {
    if (!spec.enabled) continue;
    for (const auto& m : spec.models)
      if (m.find('*') == std::string::npos) all.insert(spec.prefix.empty() ? m : spec.prefix + "/" + m);
  }
  return {all.begin(), all.end()};
}

}  // namespace qg
