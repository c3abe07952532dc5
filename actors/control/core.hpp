// actors/control/core.hpp — the running QuotaGuard core: event log, journal, accounts, router.
//
// Start-up (Core::start) follows the event-sourced recipe:
//   open the log -> recover (newest snapshot + tail) -> bring config into the log
//   (config_sync) -> expire reservations whose TTL passed while down -> spawn the journal
//   (single writer from here on), the router and one actor per account.
// Everything after that goes through the actors. Non-actor threads (HTTP workers, the
// Telegram poller, modules) use the blocking helpers here; the hot path uses promise bridges,
// never a reused scoped_actor: route waits for the router (and the reservation's commit),
// the proxy's commit/release go straight to the account actor and are not waited for
// (resolve_async: one durable wait per request, docs/EVENT_LOG.md section 3).
//
// Core also implements the two seams the front ends use: qg::Operations (operator verbs, in
// core_operations.cpp) and qg::ProxyBackend (the proxy's view, in core_proxy_backend.cpp).
// Which accounts exist lives in its AccountDirectory, component health in its HealthBoard.
#pragma once

#include "actors/account/account_actor.hpp"
#include "actors/control/account_directory.hpp"
#include "actors/control/health_board.hpp"
#include "messages/operations.hpp"
#include "config/config.hpp"
#include "messages/journal_protocol.hpp"
#include "messages/router_protocol.hpp"
#include "messages/journal_health.hpp"
#include "quota/auth_folders.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace caf { class actor_system; }

namespace qg {

class Database;
class ProxyBackend;
struct SystemState;

class Core {
 public:
  // Opens storage.db_path and starts everything; throws StorageError / std::runtime_error
  // with a one-line message when the log cannot be opened or recovered.
  static std::unique_ptr<Core> start(caf::actor_system& sys, const Config& config,
                                     Clock clock = system_clock_ms);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Flushes the journal, writes a snapshot and stops the actors (idempotent).
  void stop();

  Operations& operations();
  ProxyBackend& proxy();
  std::shared_ptr<Operations> operations_ptr();
  std::shared_ptr<ProxyBackend> proxy_ptr();

  const Config& config() const;
  caf::actor_system& system();
  router_actor router() const;
  journal_actor journal() const;
  TimeMs now() const;
  TimeMs started_at() const;
  // storage.postgres.node_id as this node stamps its events on a shared log; "" on SQLite.
  const std::string& node_id() const;

  // --- Blocking calls for non-actor threads -------------------------------------------
  RouteGrant route(RouteRequest request);
  CommandReply propose(const std::string& account, EventPayload payload);
  // A proxied request's commit or release of `reservation_id`: sent to the account actor, not
  // waited for. The account applies it before any later command; it is durable with the
  // journal's next commit, at the latest JournalOptions::lazy_ms later (settle_atom). Until the
  // actor has taken it the reservation counts as live (the TTL sweep skips it,
  // messages/live_reservations.hpp), so a late commit is never beaten by an expiry. With
  // `outcome`: the upstream call's outcome in the same message, taken right after (as report).
  void resolve_async(const std::string& account, EventPayload payload, const std::string& reservation_id,
                     std::optional<UpstreamOutcome> outcome = std::nullopt);
  // Returns once everything the account actors were sent before this call is committed to
  // the log (each actor's appends, then the journal's flush behind them).
  void wait_for_log();
  // Fire and forget: the breaker's view of an upstream reply, and the rate-limit windows it
  // showed as a passive QuotaObserved (a lazy append, as a settle), in one message.
  void report(const std::string& account, const UpstreamOutcome& outcome);
  std::map<std::string, AccountState> account_states();             // full states (with ledgers)
  std::optional<AccountState> account_state(const std::string& id);
  RouterSnapshot router_snapshot();
  std::uint64_t journal_seq();                                       // last committed (no flush)
  std::uint64_t snapshot_seq();

  // Applies account events (AccountRegistered/Updated/Removed) from config reload or
  // discovery: new accounts are written through the journal and get an actor; known ones
  // are proposed to their actor. Returns one error line per failure.
  std::vector<std::string> apply_account_events(const std::vector<Event>& events);
  // Writes global events (no account: AuthFolderImported/Forgotten) through the journal and
  // waits for the commit; "" or the error.
  std::string record(const std::vector<Event>& events);
  // The imported auth folders as recovered at start (the CLIProxyAPI module folds on from here).
  const AuthFolders& auth_folders_at_start() const;
  // Reads the events after `after` (read-only connection, safe while the journal writes).
  std::vector<Event> read_events(std::uint64_t after, std::size_t limit);
  // The first seq whose event happened at or after `ts` (last seq + 1 when none did).
  std::uint64_t first_seq_since(TimeMs ts);

  // Replaces the config used by reload/export (after a successful reload).
  void set_config(const Config& config);
  // Which accounts exist (handles, specs as last registered).
  const AccountDirectory& directory() const;
  AccountDirectory& directory();
  // Component health for /api/v1/status (collector, telegram, journal).
  HealthBoard& health_board();
  // Whether the event log is being written (/health, /ready); see messages/journal_health.hpp.
  std::shared_ptr<JournalHealth> journal_health() const;
  // Whether the account actors' TTL sweeps run as the holder of the singleton duties (true on
  // SQLite; false on PostgreSQL until the leadership module says this node holds them).
  std::shared_ptr<std::atomic<bool>> sweep_duty() const;
  // Which other nodes sharing the log are live, for the same sweeps (quota/expiry_sweep.hpp):
  // the leadership module sets its source; without one no other node counts as live.
  std::shared_ptr<NodeLiveness> live_nodes() const;

 private:
  Core();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qg
