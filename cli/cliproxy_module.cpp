// cli/cliproxy_module.cpp — the CLIProxyAPI integration inside `serve` (order 40).
//
// A detached actor (own thread: its work is blocking file and HTTP I/O) that
//   - discovers accounts in the auth folder at start, on every inotify change (debounced by
//     cliproxy::AuthDirWatcher), every cliproxy.rescan_interval, and on import
//     (POST /api/v1/import, /qg_import) — changes become AccountRegistered/Updated/Removed
//     through the core;
//   - when cliproxy.management_key is set, polls the management API every
//     cliproxy.poll_interval (adaptive, with jitter) and records cooldowns and quotas
//     (QuotaObserved{poll}). A 401 or 404 stops polling with one alert; nothing retries it.
#include "quota/account_state.hpp"
#include "actors/control/core.hpp"
#include "actors/control/core_operations.hpp"
#include "cli/daemon_modules.hpp"
#include "cliproxy/auth_dir_watcher.hpp"
#include "cliproxy/collector_cycle.hpp"
#include "cliproxy/discovery.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <random>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::OpResult)

namespace qg {
namespace {

using scan_atom = caf::atom_constant<caf::atom("scan")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using rescan_atom = caf::atom_constant<caf::atom("rescan")>;

struct CliproxyState {
  std::shared_ptr<Core> core;
  std::string auth_dir;
  std::unique_ptr<cliproxy::ManagementClient> management;
  cliproxy::CollectorState collector;
  std::mt19937 rng{std::random_device{}()};
  bool polling = false;
  static inline const char* name = "cliproxy";
};

// Accounts discovery may update or remove: everything registered and not removed.
std::map<std::string, AccountSpec> live_specs(Core& core) {
  std::map<std::string, AccountSpec> out;
  for (const auto& [id, s] : core.account_states())
    if (!s.removed && !s.spec.provider.empty()) out[id] = s.spec;
  return out;
}

OpResult scan(Core& core, const std::string& dir, const std::string& why) {
  const Config& cfg = core.config();
  auto outcome = cliproxy::scan_auth_dir(dir, live_specs(core), core.now(), {cfg.cliproxy.base_url});
  auto errors = core.apply_account_events(outcome.events);
  if (!outcome.events.empty() || !errors.empty())
    spdlog::info("cliproxy discovery ({}): {} added, {} updated, {} removed, {} skipped in {}", why,
                 outcome.count(cliproxy::DiscoveryStatus::added), outcome.count(cliproxy::DiscoveryStatus::updated),
                 outcome.removed.size(), outcome.count(cliproxy::DiscoveryStatus::skipped), dir);
  for (const auto& r : outcome.results)
    if (r.status == cliproxy::DiscoveryStatus::skipped) spdlog::debug("cliproxy: skipped {}: {}", r.file, r.reason);
  for (const auto& e : errors) spdlog::error("cliproxy discovery: {}", e);
  nlohmann::json body = {{"auth_dir", dir}, {"files", cliproxy::results_json(outcome.results)},
                         {"removed", outcome.removed}, {"errors", errors}};
  return errors.empty() ? OpResult::success(body) : OpResult{503, body, errors.front(), "unavailable"};
}

void poll(caf::stateful_actor<CliproxyState>* self) {
  auto& st = self->state;
  Core& core = *st.core;
  const TimeMs base = core.config().cliproxy.poll_interval.count();
  std::map<std::string, AccountSpec> accounts;
  std::map<std::string, cliproxy::KnownCooldown> cooldowns;
  for (const auto& [id, s] : core.account_states()) {
    if (s.removed || s.spec.origin != "cliproxy") continue;
    accounts[id] = s.spec;
    if (s.cooldown_until > 0) cooldowns[id] = {s.cooldown_until, s.cooldown_reason};
  }
  auto r = cliproxy::run_collector_cycle(*st.management, accounts, cooldowns, core.now(), st.collector, base);
  for (const auto& e : r.events) {
    auto reply = core.propose(e.account, e.payload);
    if (!reply.ok) spdlog::debug("cliproxy collector: {} for {}: {}", event_type(e), e.account, reply.error);
  }
  ComponentHealth h{true, !r.stop, r.alert, r.stop ? 0 : core.now()};
  if (r.stop) {
    spdlog::error("cliproxy collector stopped: {}", r.alert);
    core.health_board().set("collector", h);
    st.polling = false;
    return;
  }
  if (!r.alert.empty()) spdlog::warn("cliproxy collector: {}", r.alert);
  core.health_board().set("collector", h);
  const TimeMs delay = r.retry_in_ms > 0 ? r.retry_in_ms
                                         : cliproxy::next_poll_delay({base, 0, r.max_used_percent,
                                                                      std::uniform_real_distribution<double>(0, 1)(st.rng)});
  self->delayed_send(self, std::chrono::milliseconds(delay), poll_atom::value);
}

caf::behavior cliproxy_actor(caf::stateful_actor<CliproxyState>* self, std::shared_ptr<Core> core,
                             std::string auth_dir) {
  self->state.core = std::move(core);
  self->state.auth_dir = std::move(auth_dir);
  const Config& cfg = self->state.core->config();
  if (!cfg.cliproxy.management_key.empty()) {
    self->state.management = std::make_unique<cliproxy::ManagementClient>(cfg.cliproxy.base_url, cfg.cliproxy.management_key);
    self->state.polling = true;
    self->state.core->health_board().set("collector", {true, true, "starting", 0});
    // The first poll is sent by CliproxyModule::start after the start-up discovery, so it
    // sees the discovered accounts (polling first found none and waited a whole interval).
  }
  self->delayed_send(self, cfg.cliproxy.rescan_interval, rescan_atom::value);
  return {
      [=](scan_atom, const std::string& dir, const std::string& why) -> OpResult {
        return scan(*self->state.core, dir.empty() ? self->state.auth_dir : dir, why);
      },
      [=](rescan_atom) {
        scan(*self->state.core, self->state.auth_dir, "periodic rescan");
        self->delayed_send(self, self->state.core->config().cliproxy.rescan_interval, rescan_atom::value);
      },
      [=](poll_atom) {
        if (self->state.polling) poll(self);
      },
  };
}

class CliproxyModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    auto core = ctx.services.get<Core>();
    if (!core) return "the core is not running";
    const std::string dir = expand_user_path(ctx.config.cliproxy.auth_dir);
    actor_ = ctx.system.spawn<caf::detached>(cliproxy_actor, core, dir);
    caf::actor handle = actor_;
    caf::actor_system* sys = &ctx.system;
    auto ops = std::static_pointer_cast<CoreOperations>(core->operations_ptr());
    ops->set_importer([sys, handle](const std::string& path, const Actor& by) {
      OpResult out = OpResult::failure(503, "unavailable", "discovery did not answer");
      caf::scoped_actor self{*sys};
      self->request(handle, caf::infinite, scan_atom::value, path, "import by " + by)
          .receive([&](OpResult& r) { out = std::move(r); }, [](caf::error&) {});
      return out;
    });
    OpResult first = ops->import_accounts("", "start-up");  // synchronous: accounts exist before /ready
    if (!first.ok()) spdlog::warn("cliproxy discovery at start-up: {}", first.error);
    caf::anon_send(handle, poll_atom::value);  // no-op unless cliproxy.management_key is set
    watcher_ = std::make_unique<cliproxy::AuthDirWatcher>(dir, [handle] {
      caf::anon_send(handle, scan_atom::value, std::string(), std::string("file change"));
    });
    if (!watcher_->start()) spdlog::warn("cliproxy: not watching {} ({}); periodic rescans only", dir, watcher_->error());
    return "";
  }
  void stop(DaemonContext&) override {
    if (watcher_) watcher_->stop();
    if (actor_) caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  }

 private:
  caf::actor actor_;
  std::unique_ptr<cliproxy::AuthDirWatcher> watcher_;
};
QG_REGISTER_DAEMON_MODULE(40, CliproxyModule);

}  // namespace
}  // namespace qg

