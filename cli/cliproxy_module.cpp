// cli/cliproxy_module.cpp — the CLIProxyAPI integration inside `serve` (order 40).
//
// A detached actor (own thread: its work is blocking file and HTTP I/O) that
//   - discovers accounts in the auth folders — cliproxy.auth_dir and every folder imported
//     besides it (quota/auth_folders.hpp) — at start, on every inotify change of a folder
//     (debounced by one cliproxy::AuthDirWatcher per folder), every cliproxy.rescan_interval,
//     and on import (POST /api/v1/import, /qg_import, `setup PATH`). Changes become
//     AccountRegistered/Updated/Removed through the core; a scan answers only for accounts of
//     the folder it scanned (cliproxy/discovery.hpp);
//   - records imports and forgets of folders (AuthFolderImported/Forgotten) and folds them
//     with the same pure `apply` replay uses, so imported folders survive restarts;
//   - when cliproxy.management_key is set, polls the management API every
//     cliproxy.poll_interval (adaptive, with jitter) and records cooldowns and quotas
//     (QuotaObserved{poll}). A 401 or 404 stops polling with one alert; nothing retries it.
// Rescans (timer, file changes) and quota polls are singleton duties: they run only while
// this node holds them (persistence/leadership.hpp; always on SQLite) — the timers keep
// ticking on every node and skip the work elsewhere; a node that is elected rescans and polls
// at once. The start-up scan of cliproxy.auth_dir and explicit imports run on any node (they change nothing when
// the accounts are registered already).
#include "quota/account_state.hpp"
#include "actors/control/core.hpp"
#include "actors/control/core_operations.hpp"
#include "cli/daemon_modules.hpp"
#include "cliproxy/auth_dir_watcher.hpp"
#include "cliproxy/collector_cycle.hpp"
#include "cliproxy/discovery.hpp"
#include "persistence/leadership.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <random>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::OpAnswer<qg::ImportView>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::OpAnswer<qg::AuthFoldersView>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::OpAnswer<qg::ForgetFolderView>)

namespace qg {
namespace {

using scan_atom = caf::atom_constant<caf::atom("scan")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using rescan_atom = caf::atom_constant<caf::atom("rescan")>;
using import_atom = caf::atom_constant<caf::atom("import")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using folders_atom = caf::atom_constant<caf::atom("folders")>;
using elected_atom = caf::atom_constant<caf::atom("elected")>;

struct CliproxyState {
  std::shared_ptr<Core> core;
  std::shared_ptr<const Leadership> leadership;  // null: always on duty
  std::string configured;          // folder_key of cliproxy.auth_dir
  AuthFolders folders;             // imported besides it (folded from AuthFolderImported/Forgotten)
  std::map<std::string, std::unique_ptr<cliproxy::AuthDirWatcher>> watchers;  // by folder
  std::unique_ptr<cliproxy::ManagementClient> management;
  cliproxy::CollectorState collector;
  std::mt19937 rng{std::random_device{}()};
  bool polling = false;
  static inline const char* name = "cliproxy";

  bool on_duty() const { return !leadership || leadership->holding(); }
  bool live(const std::string& folder) const { return folder == configured || folders.imported.count(folder); }
  std::vector<std::string> all_folders() const {
    std::vector<std::string> out{configured};
    for (const auto& [path, _] : folders.imported) out.push_back(path);
    return out;
  }
  cliproxy::ScanOptions options_for(const std::string& folder) const {
    cliproxy::ScanOptions o{core->config().cliproxy.base_url, folder, folder == configured, {}};
    for (const auto& other : all_folders())
      if (other != folder) o.other_folders.insert(other);
    return o;
  }
};

using Self = caf::stateful_actor<CliproxyState>;

// Accounts discovery may update or remove: everything registered and not removed.
std::map<std::string, AccountSpec> live_specs(Core& core) {
  std::map<std::string, AccountSpec> out;
  for (const auto& [id, s] : core.account_states())
    if (!s.removed && !s.spec.provider.empty()) out[id] = s.spec;
  return out;
}

OpFailure invalid_path(const std::string& message) { return OpFailure{OpError::invalid_argument, "path: " + message}; }

// Writes the folder's outcome; `first` (AuthFolderImported) goes before the account events.
ImportView record_scan(Core& core, const cliproxy::DiscoveryOutcome& outcome, const std::string& why,
                     std::vector<Event> first = {}) {
  std::vector<std::string> errors;
  if (std::string e = core.record(first); !e.empty()) errors.push_back(e);
  if (errors.empty()) errors = core.apply_account_events(outcome.events);
  if (!outcome.events.empty() || !errors.empty())
    spdlog::info("cliproxy discovery ({}): {} added, {} updated, {} removed, {} skipped in {}", why,
                 outcome.count(cliproxy::DiscoveryStatus::added), outcome.count(cliproxy::DiscoveryStatus::updated),
                 outcome.removed.size(), outcome.count(cliproxy::DiscoveryStatus::skipped), outcome.dir);
  for (const auto& r : outcome.results)
    if (r.status == cliproxy::DiscoveryStatus::skipped) spdlog::debug("cliproxy: skipped {}: {}", r.file, r.reason);
  for (const auto& e : errors) spdlog::error("cliproxy discovery: {}", e);
  ImportView v;
  v.auth_dir = outcome.dir;
  v.files = cliproxy::discovered_files(outcome.results);
  v.removed = outcome.removed;
  v.errors = std::move(errors);
  return v;
}

void watch(Self* self, const std::string& folder) {
  auto& slot = self->state.watchers[folder];
  if (slot) return;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  slot = std::make_unique<cliproxy::AuthDirWatcher>(folder, [me, folder] {
    caf::anon_send(me, scan_atom::value, folder, std::string("file change"));
  });
  if (!slot->start()) spdlog::warn("cliproxy: not watching {} ({}); periodic rescans only", folder, slot->error());
}

// A rescan of a live folder (file change, timer). A missing folder is logged, nothing removed.
void rescan(Self* self, const std::string& folder, const std::string& why) {
  auto& st = self->state;
  if (!st.live(folder)) return;  // forgotten since the change was noticed
  if (!st.on_duty()) return;     // the node holding the duties rescans
  auto outcome = cliproxy::scan_auth_dir(folder, live_specs(*st.core), st.core->now(), st.options_for(folder));
  if (!outcome.error.empty()) {  // often just "no CLIProxyAPI here": not worth a warning per rescan
    spdlog::debug("cliproxy discovery ({}): {}", why, outcome.error);
    return;
  }
  record_scan(*st.core, outcome, why);
}

OpAnswer<ImportView> import_folder(Self* self, const std::string& path, const std::string& by) {
  auto& st = self->state;
  const std::string folder = path.empty() ? st.configured : cliproxy::folder_key(expand_user_path(path));
  auto outcome = cliproxy::scan_auth_dir(folder, live_specs(*st.core), st.core->now(), st.options_for(folder));
  if (!outcome.error.empty()) return OpAnswer<ImportView>::fail(invalid_path(outcome.error));
  std::vector<Event> first;
  if (!st.live(folder)) first.push_back(Event{0, st.core->now(), "", AuthFolderImported{folder, by}});
  OpAnswer<ImportView> r{record_scan(*st.core, outcome, "import by " + by, first), std::nullopt};
  r.value.imported = folder != st.configured;  // kept, watched and rescanned besides auth_dir
  if (!first.empty() && r.value.errors.empty()) {
    apply(st.folders, first.front());
    spdlog::info("cliproxy: auth folder {} imported by {}; watched and rescanned from now on", folder, by);
    watch(self, folder);
  }
  return r;
}

OpAnswer<ForgetFolderView> forget_folder(Self* self, const std::string& path, const std::string& by) {
  using Answer = OpAnswer<ForgetFolderView>;
  auto& st = self->state;
  if (path.empty()) return Answer::fail(invalid_path("required (the imported folder to forget)"));
  const std::string folder = cliproxy::folder_key(expand_user_path(path));
  if (folder == st.configured)
    return Answer::fail(OpError::rejected, "path: " + folder + " is cliproxy.auth_dir; change the config to stop watching it");
  if (!st.folders.imported.count(folder))
    return Answer::fail(OpError::not_found, "path: " + folder + " is not an imported folder");
  Event forgotten{0, st.core->now(), "", AuthFolderForgotten{folder, by}};
  if (std::string e = st.core->record({forgotten}); !e.empty()) return Answer::fail(OpError::journal_unavailable, e);
  apply(st.folders, forgotten);
  st.watchers.erase(folder);  // stops and joins its thread
  // After the event: should this stop half-way, the configured folder's scan claims the rest.
  auto removals = cliproxy::forget_folder_events(folder, live_specs(*st.core), st.core->now());
  Answer out;
  out.value.path = folder;
  out.value.errors = st.core->apply_account_events(removals);
  for (const auto& e : removals) out.value.removed.push_back(e.account);
  spdlog::info("cliproxy: auth folder {} forgotten by {}: {} account(s) removed", folder, by, removals.size());
  return out;
}

OpAnswer<AuthFoldersView> list_folders(Self* self) {
  auto& st = self->state;
  std::map<std::string, int> counts;
  for (const auto& [id, spec] : live_specs(*st.core))
    if (spec.origin == "cliproxy") ++counts[spec.auth_dir];
  OpAnswer<AuthFoldersView> out;
  out.value.configured = st.configured;
  for (const auto& [path, f] : st.folders.imported) out.value.imported.push_back({path, f.by, f.since, counts[path]});
  return out;
}

void poll(Self* self) {
  auto& st = self->state;
  Core& core = *st.core;
  const TimeMs base = core.config().cliproxy.poll_interval.count();
  if (!st.on_duty()) {  // the node holding the duties polls; look again later
    self->delayed_send(self, std::chrono::milliseconds(base), poll_atom::value);
    return;
  }
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

caf::behavior cliproxy_actor(Self* self, std::shared_ptr<Core> core, std::string configured,
                             std::shared_ptr<const Leadership> leadership) {
  auto& st = self->state;
  st.core = std::move(core);
  st.leadership = std::move(leadership);
  st.configured = std::move(configured);
  st.folders = st.core->auth_folders_at_start();
  const Config& cfg = st.core->config();
  if (!cfg.cliproxy.management_key.empty()) {
    st.management = std::make_unique<cliproxy::ManagementClient>(cfg.cliproxy.base_url, cfg.cliproxy.management_key);
    st.polling = true;
    st.core->health_board().set("collector", {true, true, "starting", 0});
    // The first poll is sent by CliproxyModule::start after the start-up discovery, so it
    // sees the discovered accounts (polling first found none and waited a whole interval).
  }
  self->delayed_send(self, cfg.cliproxy.rescan_interval, rescan_atom::value);
  return {
      [=](import_atom, const std::string& path, const std::string& by) { return import_folder(self, path, by); },
      [=](forget_atom, const std::string& path, const std::string& by) { return forget_folder(self, path, by); },
      [=](folders_atom) { return list_folders(self); },
      [=](scan_atom, const std::string& folder, const std::string& why) { rescan(self, folder, why); },
      // Start-up: every imported folder is scanned and every folder watched.
      [=](scan_atom) {
        for (const auto& [path, _] : self->state.folders.imported) rescan(self, path, "start-up");
        for (const auto& folder : self->state.all_folders()) watch(self, folder);
      },
      [=](rescan_atom) {
        for (const auto& folder : self->state.all_folders()) rescan(self, folder, "periodic rescan");
        self->delayed_send(self, self->state.core->config().cliproxy.rescan_interval, rescan_atom::value);
      },
      [=](poll_atom) {
        if (self->state.polling) poll(self);
      },
      // This node was just elected: catch up on what the last holder may not have seen.
      [=](elected_atom) {
        for (const auto& folder : self->state.all_folders()) rescan(self, folder, "elected");
      },
  };
}

// The core's view of the folders: each call is one request to the actor.
class FolderService : public CoreOperations::AuthFolderService {
 public:
  FolderService(caf::actor_system& sys, caf::actor actor) : sys_(sys), actor_(std::move(actor)) {}
  OpAnswer<ImportView> import_folder(const std::string& path, const Requester& by) override {
    return ask<ImportView>(import_atom::value, path, by);
  }
  OpAnswer<AuthFoldersView> list_folders() override { return ask<AuthFoldersView>(folders_atom::value); }
  OpAnswer<ForgetFolderView> forget_folder(const std::string& path, const Requester& by) override {
    return ask<ForgetFolderView>(forget_atom::value, path, by);
  }

 private:
  template <class View, class... Ts>
  OpAnswer<View> ask(Ts... message) {
    auto out = OpAnswer<View>::fail(OpError::unavailable, "discovery did not answer");
    caf::scoped_actor self{sys_};
    self->request(actor_, caf::infinite, std::move(message)...)
        .receive([&](OpAnswer<View>& r) { out = std::move(r); }, [](caf::error&) {});
    return out;
  }
  caf::actor_system& sys_;
  caf::actor actor_;
};

class CliproxyModule : public DaemonModule {
 public:
  std::string start(DaemonContext& ctx) override {
    auto core = ctx.services.get<Core>();
    if (!core) return "the core is not running";
    const std::string dir = cliproxy::folder_key(expand_user_path(ctx.config.cliproxy.auth_dir));
    leadership_ = ctx.services.get<Leadership>();
    actor_ = ctx.system.spawn<caf::detached>(cliproxy_actor, core, dir,
                                             std::shared_ptr<const Leadership>(leadership_));
    auto ops = std::static_pointer_cast<CoreOperations>(core->operations_ptr());
    ops->set_auth_folder_service(std::make_shared<FolderService>(ctx.system, actor_));
    // Synchronous: accounts exist before /ready.
    const auto first = ops->import_accounts("", "start-up");
    if (!first.ok() && first.failure->error == OpError::invalid_argument)
      spdlog::info("cliproxy discovery at start-up: {} (watched; found when it appears)", first.failure->message);
    else if (!first.ok()) spdlog::warn("cliproxy discovery at start-up: {}", first.failure->message);
    else if (!first.value.errors.empty()) spdlog::warn("cliproxy discovery at start-up: {}", first.value.errors.front());
    caf::scoped_actor self{ctx.system};
    self->request(actor_, caf::infinite, scan_atom::value).receive([] {}, [](caf::error&) {});
    caf::anon_send(actor_, poll_atom::value);  // no-op unless cliproxy.management_key is set
    if (leadership_) {
      // Elected later: rescan now (the timers would, within rescan_interval).
      subscription_ = leadership_->subscribe([actor = actor_, at_start = leadership_->holding()](bool holding) mutable {
        if (at_start) {  // the call subscribe makes at once: the start-up scan just ran
          at_start = false;
          return;
        }
        if (holding) caf::anon_send(actor, elected_atom::value);
      });
    }
    return "";
  }
  void stop(DaemonContext&) override {
    if (leadership_) leadership_->unsubscribe(subscription_);
    if (actor_) caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  }

 private:
  std::shared_ptr<Leadership> leadership_;
  int subscription_ = 0;
  caf::actor actor_;
};
QG_REGISTER_DAEMON_MODULE(40, CliproxyModule);

}  // namespace
}  // namespace qg
