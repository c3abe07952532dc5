// actors/control/core.cpp — start-up, the actor graph and the blocking bridges (see core.hpp).
#include "actors/control/core.hpp"

#include "quota/account_state.hpp"
#include "quota/config_sync.hpp"
#include "quota/served_here.hpp"
#include "actors/control/core_operations.hpp"
#include "actors/control/core_proxy_backend.hpp"
#include "quota/circuit_breaker.hpp"
#include "actors/router/router_actor.hpp"
#include "persistence/event_log.hpp"
#include "persistence/journal_actor.hpp"
#include "persistence/pg_listener.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/recovery.hpp"
#include "messages/live_reservations.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>

namespace qg {

struct Core::Impl {
  caf::actor_system* sys = nullptr;
  Config config;
  // Held where `config` is written after start (set_config) and where another thread reads it:
  // the journal's, spawning an account it met by following (spawn_followed).
  mutable std::mutex config_mutex;
  Clock clock;
  TimeMs started_at = 0;
  std::shared_ptr<EventLog> log;           // the journal's, after start
  std::unique_ptr<EventLog> reader;        // read-only: events, snapshots
  std::mutex reader_mutex;
  journal_actor journal;
  std::unique_ptr<PgListener> listener;    // several nodes: wakes the journal to follow the log
  std::shared_ptr<JournalHealth> journal_health = std::make_shared<JournalHealth>();
  // Whether this node holds the singleton duties (true on SQLite; on PostgreSQL the
  // leadership module sets it: persistence/leadership.hpp).
  std::shared_ptr<std::atomic<bool>> sweep_duty = std::make_shared<std::atomic<bool>>(true);
  // Which other nodes are live (the leadership module's heartbeats), and this node's id ("" on
  // SQLite): the TTL sweep spares a live node's reservations (quota/expiry_sweep.hpp).
  std::shared_ptr<NodeLiveness> live_nodes = std::make_shared<NodeLiveness>();
  std::string node;
  router_actor router;
  AccountDirectory directory;
  std::unique_ptr<HealthBoard> health;
  std::mutex apply_mutex;                  // one apply_account_events at a time
  AuthFolders auth_folders_at_start;
  std::shared_ptr<CoreOperations> operations;
  std::shared_ptr<CoreProxyBackend> proxy;
  bool stopped = false;

  // Whether this node routes to the account: on a shared log only with its credential here
  // (quota/served_here.hpp); one node serves every account it knows.
  bool served(const std::string& id, const AccountSpec& spec) const {
    if (!log->shared()) return true;
    std::lock_guard lock(config_mutex);
    LocalCredentials local;
    for (const auto& a : config.accounts) local.config_accounts.insert(a.id);
    local.cliproxy_auth_dir = expand_user_path(config.cliproxy.auth_dir);
    local.file_exists = [](const std::string& path) {
      std::error_code ec;
      return std::filesystem::is_regular_file(path, ec);
    };
    return served_here(id, spec, local);
  }

  // `remote`: known only from other nodes' events, not served here (account_actor.hpp).
  account_actor spawn(const AccountState& state, bool remote, std::uint64_t known_seq = 0) {
    AccountActorOptions o = account_options();
    o.remote = remote;
    o.known_seq = known_seq;
    account_actor handle = spawn_account(*sys, state, std::move(o));
    directory.add(state.id, handle, state.spec);
    return handle;
  }

  // Following reached an account this node has no actor for (another node registered it at
  // runtime): its actor starts from the journal's state of it, which holds every event of it
  // up to `e`, so its quota is current here. The journal's thread; events of an account never
  // registered (no provider) wait for its registration.
  void spawn_followed(const Event& e, const SystemState& state) {
    auto it = state.accounts.find(e.account);
    if (it == state.accounts.end() || it->second.spec.provider.empty()) return;
    const bool here = served(e.account, it->second.spec);
    account_actor handle = spawn(it->second, !here, e.seq);
    if (it->second.removed) directory.apply(Event{0, 0, e.account, AccountRemoved{}});
    spdlog::info("account {}: known from node {}'s events; {}", e.account, e.node,
                 here ? "served here too" : "accounted for, not routed to (no credential here)");
    caf::anon_send(router, add_account_atom::value, e.account, handle);
  }

  AccountActorOptions account_options() const {
    std::lock_guard lock(config_mutex);
    AccountActorOptions o;
    o.journal = journal;
    o.listener = caf::actor_cast<caf::actor>(router);
    o.clock = clock;
    o.allow_unpersisted = config.storage.on_error == OnJournalError::allow;
    o.journal_health = journal_health;
    o.node = node;
    o.sweep_duty = sweep_duty;
    o.live_nodes = live_nodes;
    o.settings = router_settings_from(config.router);
    return o;
  }
};

Core::Core() : impl_(std::make_unique<Impl>()) {}
Core::~Core() { stop(); }

std::unique_ptr<Core> Core::start(caf::actor_system& sys, const Config& config, Clock clock) {
  std::unique_ptr<Core> core(new Core());
  Impl& d = *core->impl_;
  d.sys = &sys;
  d.config = config;
  d.clock = clock;
  d.started_at = clock();
  d.sweep_duty->store(config.storage.backend != StorageBackend::postgres);

  d.log = open_event_log(config.storage, OpenMode::read_write);
  if (d.log->shared()) d.node = effective_node_id(config.storage.postgres.node_id);
  RecoveredState rec = recover(*d.log);
  for (const auto& w : rec.warnings) spdlog::warn("recovery: {}", w);
  spdlog::info("event log: {}", d.log->describe());
  spdlog::info("recovered {} account(s) at seq {} (snapshot {}, {} events replayed, {:.1f} ms)",
               rec.state.accounts.size(), rec.state.last_seq, rec.snapshot_seq,
               rec.events_replayed, rec.elapsed_ms);

  // Before the journal exists this thread is the only writer.
  const TimeMs now = clock();
  std::vector<std::string> left_to_others, settings_left;
  std::vector<Event> startup = config_sync_events(config, rec.state, now, d.node, &left_to_others, &settings_left);
  for (const auto& id : left_to_others)
    spdlog::warn("config: account {} was registered by another node with another spec; this node keeps that spec "
                 "(the registering node or the admin API may change it)", id);
  for (const auto& why : settings_left)
    spdlog::info("config: router setting {} kept: the file's value did not change since the log last recorded it, "
                 "and a runtime change or another node's file set it since", why);
  // On a shared log the account actors expire (under the version check: exactly once whichever
  // node does it); written here, several nodes starting together would expire twice.
  const auto expired = d.log->shared() ? std::vector<Event>{} : expiry_events(rec.state, now);
  startup.insert(startup.end(), expired.begin(), expired.end());
  if (!startup.empty()) {
    d.log->append(startup);
    for (const auto& e : startup) apply(rec.state, e);
    spdlog::info("start-up wrote {} event(s) ({} reservation(s) expired while down)", startup.size(),
                 expired.size());
  }

  // PostgreSQL: the journal holds one connection, the readers the rest of the pool.
  const auto readers = static_cast<std::size_t>(std::max(1, config.storage.postgres.pool_size - 1));
  d.reader = open_event_log(config.storage, OpenMode::read_only, readers);

  JournalOptions jo;
  jo.log = d.log;
  jo.state = rec.state;
  jo.snapshot_every = static_cast<std::uint64_t>(std::max<std::int64_t>(0, config.storage.snapshot_every));
  jo.clock = clock;
  jo.health = d.journal_health;
  // Others' events go to the account's actor (accounts this node does not know yet: their
  // events stay in the journal's state; a restart spawns them), router events to the router.
  jo.follower = [core = core.get()](const Event& e, const SystemState& state) {
    Impl& d = *core->impl_;
    if (std::holds_alternative<RouteSwitched>(e.payload) || std::holds_alternative<SettingChanged>(e.payload)) {
      caf::anon_send(d.router, follow_atom::value, e);  // spawned before the first follow
      return;
    }
    if (e.account.empty()) return;
    auto handle = d.directory.handle(e.account);
    if (!handle) return d.spawn_followed(e, state);
    if (std::holds_alternative<AccountRegistered>(e.payload) || std::holds_alternative<AccountUpdated>(e.payload) ||
        std::holds_alternative<AccountRemoved>(e.payload))
      d.directory.apply(e);  // the spec another node registered, updated or removed
    caf::anon_send(*handle, follow_atom::value, e);
  };
  d.journal = spawn_journal(sys, std::move(jo));

  RouterActorOptions ro_opts;
  ro_opts.journal = d.journal;
  ro_opts.state = rec.state.router;
  ro_opts.base = router_settings_from(config.router);
  ro_opts.node = d.node;
  ro_opts.clock = clock;
  d.router = spawn_router(sys, std::move(ro_opts));

  d.auth_folders_at_start = rec.state.auth_folders;
  d.health = std::make_unique<HealthBoard>(d.journal_health, clock);
  for (auto& [id, acc] : rec.state.accounts) {
    if (acc.spec.provider.empty()) continue;  // events for an account never registered
    d.spawn(acc, !d.served(id, acc.spec));
    if (acc.removed) d.directory.apply(Event{0, 0, id, AccountRemoved{}});
  }
  if (d.log->shared()) {
    // The actors exist: from here the journal follows the other nodes' events.
    caf::anon_send(d.journal, journal_follow_atom::value);
    const auto& pg = config.storage.postgres;
    d.listener = std::make_unique<PgListener>(PgOptions{pg.dsn, /*read_only=*/true, pg.statement_timeout},
                                              effective_node_id(pg.node_id),
                                              [journal = d.journal] { caf::anon_send(journal, journal_follow_atom::value); });
  }
  d.operations = std::make_shared<CoreOperations>(*core);
  d.proxy = std::make_shared<CoreProxyBackend>(*core);
  return core;
}

void Core::stop() {
  Impl& d = *impl_;
  if (d.stopped || !d.sys) return;
  d.stopped = true;
  d.listener.reset();
  try {
    wait_for_log();  // the proxy's last commits, sent without waiting, are in the log
    caf::scoped_actor self{*d.sys};
    self->request(d.journal, caf::infinite, flush_atom::value).receive([](std::uint64_t) {}, [](caf::error&) {});
    if (const auto j = d.journal_health->view(); !j.ok)
      spdlog::error("journal: {} event(s) could not be written before exit and are lost ({}); "
                    "open reservations expire at the next start", j.held, j.error);
    self->request(d.journal, caf::infinite, snapshot_atom::value)
        .receive([](std::uint64_t seq) { spdlog::info("snapshot written at seq {}", seq); },
                 [](caf::error& e) { spdlog::error("snapshot failed: {}", caf::to_string(e)); });
    for (auto& [id, a] : d.directory.handles()) self->send_exit(a, caf::exit_reason::user_shutdown);
    self->send_exit(d.router, caf::exit_reason::user_shutdown);
    self->send_exit(d.journal, caf::exit_reason::user_shutdown);
  } catch (const std::exception& e) {
    spdlog::error("stopping the core: {}", e.what());
  }
}

Operations& Core::operations() { return *impl_->operations; }
ProxyBackend& Core::proxy() { return *impl_->proxy; }
std::shared_ptr<Operations> Core::operations_ptr() { return impl_->operations; }
std::shared_ptr<ProxyBackend> Core::proxy_ptr() { return impl_->proxy; }
const Config& Core::config() const { return impl_->config; }
caf::actor_system& Core::system() { return *impl_->sys; }
router_actor Core::router() const { return impl_->router; }
journal_actor Core::journal() const { return impl_->journal; }
TimeMs Core::now() const { return impl_->clock(); }
TimeMs Core::started_at() const { return impl_->started_at; }
const std::string& Core::node_id() const { return impl_->node; }

RouteGrant Core::route(RouteRequest request) {
  auto promise = std::make_shared<std::promise<RouteGrant>>();
  auto future = promise->get_future();
  caf::anon_send(impl_->router, route_atom::value, std::move(request), std::move(promise));
  return future.get();
}

// Commands go straight to the account actor that owns the state (no relay through the router).
CommandReply Core::propose(const std::string& account, EventPayload payload) {
  auto handle = impl_->directory.handle(account);
  if (!handle) return CommandReply{false, 0, "unknown account " + account, ReplyCode::unknown_account};
  auto promise = std::make_shared<std::promise<CommandReply>>();
  auto future = promise->get_future();
  caf::anon_send(*handle, propose_atom::value, std::move(payload), std::move(promise));
  return future.get();
}

void Core::resolve_async(const std::string& account, EventPayload payload, const std::string& reservation_id,
                         std::optional<UpstreamOutcome> outcome) {
  auto handle = impl_->directory.handle(account);
  if (!handle) {
    spdlog::warn("account {} is gone: reservation {} stays open until its TTL", account, reservation_id);
    return;
  }
  caf::anon_send(*handle, settle_atom::value,
                 Settlement{std::move(payload), std::move(outcome), std::make_shared<const LiveReservation>(reservation_id)});
}

void Core::wait_for_log() {
  caf::scoped_actor self{*impl_->sys};
  for (auto& [id, handle] : impl_->directory.handles())
    self->request(handle, caf::infinite, flush_atom::value).receive([](std::uint64_t) {}, [](caf::error&) {});
}

void Core::report(const std::string& account, const UpstreamOutcome& outcome) {
  if (auto handle = impl_->directory.handle(account)) caf::anon_send(*handle, outcome_atom::value, outcome);
}

std::map<std::string, AccountState> Core::account_states() {
  const auto handles = impl_->directory.handles();
  std::map<std::string, AccountState> out;
  caf::scoped_actor self{*impl_->sys};
  for (auto& [id, h] : handles)
    self->request(h, caf::infinite, state_atom::value).receive(
        [&, id = id](AccountState& s) { out[id] = std::move(s); }, [](caf::error&) {});
  return out;
}

std::optional<AccountState> Core::account_state(const std::string& id) {
  const auto h = impl_->directory.handle(id);
  if (!h) return std::nullopt;
  std::optional<AccountState> out;
  caf::scoped_actor self{*impl_->sys};
  self->request(*h, caf::infinite, state_atom::value).receive([&](AccountState& s) { out = std::move(s); },
                                                             [](caf::error&) {});
  return out;
}

RouterSnapshot Core::router_snapshot() {
  RouterSnapshot out;
  caf::scoped_actor self{*impl_->sys};
  self->request(impl_->router, caf::infinite, summary_atom::value).receive([&](RouterSnapshot& s) { out = std::move(s); },
                                                                           [](caf::error&) {});
  return out;
}

std::uint64_t Core::journal_seq() {
  // Read from the log (read-only connection): a status read never forces the journal to commit.
  std::lock_guard lock(impl_->reader_mutex);
  try {
    return impl_->reader->last_seq();
  } catch (const std::exception& e) {
    spdlog::warn("reading the last seq: {}", e.what());
    return 0;
  }
}

std::uint64_t Core::snapshot_seq() {
  std::lock_guard lock(impl_->reader_mutex);
  try {
    auto rows = impl_->reader->snapshots();
    std::uint64_t best = 0;
    for (const auto& r : rows) best = std::max(best, r.seq);
    return best;
  } catch (const std::exception& e) {
    spdlog::warn("reading snapshots: {}", e.what());
    return 0;
  }
}

std::vector<std::string> Core::apply_account_events(const std::vector<Event>& events) {
  std::vector<std::string> errors;
  std::lock_guard serial(impl_->apply_mutex);
  for (const auto& e : events) {
    if (auto known = impl_->directory.handle(e.account)) {
      auto reply = propose(e.account, e.payload);
      if (!reply.ok) { errors.push_back(e.account + ": " + reply.error); continue; }
      // This node's own sources (config, its auth folders) name it: its credential is here.
      if (!std::holds_alternative<AccountRemoved>(e.payload)) caf::anon_send(*known, serve_atom::value, true);
    } else {
      // A new account: record it, then give it an actor built from that event.
      AppendResult result;
      caf::scoped_actor self{*impl_->sys};
      Event first = e;
      first.ts = now();
      first.node = impl_->node;  // as the log will have it (AccountState::registered_by)
      self->request(impl_->journal, caf::infinite, append_atom::value, EventBatch{first})
          .receive([&](AppendResult& r) { result = std::move(r); },
                   [&](caf::error& err) { result.error = caf::to_string(err); });
      if (!result.error.empty()) { errors.push_back(e.account + ": " + result.error); continue; }
      first.seq = result.last_seq;
      if (auto followed = impl_->directory.handle(e.account)) {
        // Following spawned it meanwhile (another node registered it first, §7.4): it takes
        // this node's event too, and this node's sources name it, so it is served here.
        caf::anon_send(*followed, follow_atom::value, first);
        caf::anon_send(*followed, serve_atom::value, true);
        impl_->directory.apply(e);
        continue;
      }
      AccountState state;
      apply(state, first);
      auto actor = impl_->spawn(state, /*remote=*/false);  // this node's own source names it
      caf::anon_send(impl_->router, add_account_atom::value, e.account, actor);
    }
    impl_->directory.apply(e);
  }
  return errors;
}

std::string Core::record(const std::vector<Event>& events) {
  if (events.empty()) return "";
  EventBatch batch(events.begin(), events.end());
  for (auto& e : batch) e.ts = e.ts ? e.ts : now();
  std::string error;
  caf::scoped_actor self{*impl_->sys};
  self->request(impl_->journal, caf::infinite, append_atom::value, std::move(batch))
      .receive([&](AppendResult& r) { error = std::move(r.error); },
               [&](caf::error& err) { error = caf::to_string(err); });
  return error;
}

const AuthFolders& Core::auth_folders_at_start() const { return impl_->auth_folders_at_start; }

std::vector<Event> Core::read_events(std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(impl_->reader_mutex);
  return impl_->reader->read_after(after, limit);
}

std::uint64_t Core::first_seq_since(TimeMs ts) {
  std::lock_guard lock(impl_->reader_mutex);
  return impl_->reader->first_seq_at_or_after(ts);
}

void Core::set_config(const Config& config) {
  std::lock_guard lock(impl_->config_mutex);
  impl_->config = config;
}

const AccountDirectory& Core::directory() const { return impl_->directory; }
AccountDirectory& Core::directory() { return impl_->directory; }
HealthBoard& Core::health_board() { return *impl_->health; }
std::shared_ptr<JournalHealth> Core::journal_health() const { return impl_->journal_health; }
std::shared_ptr<std::atomic<bool>> Core::sweep_duty() const { return impl_->sweep_duty; }
std::shared_ptr<NodeLiveness> Core::live_nodes() const { return impl_->live_nodes; }

}  // namespace qg
