// persistence/leadership.hpp — the singleton duties on exactly one node at a time.
//
// Some work must run on one node of a cluster, not on each: Telegram polling (two pollers
// get 409s from Telegram) and alert delivery (one alert, not one per node), CLIProxyAPI
// discovery rescans and quota polls, reservation expiry sweeps. Components ask holding(), or
// subscribe to be told when this node is elected or deposed.
//
// SQLite (one node): single_node() holds the duties from the start; no thread, no database.
// PostgreSQL: postgres() opens a connection of its own and holds the session-level advisory
// lock kDutiesLock on it while it leads. A thread probes the lock every second
// (leader_decision.hpp says what each probe means) and beats into the `nodes` table
// (pg_nodes.hpp). When the holder dies its connection closes, the server ends the session
// and frees the lock, and the next follower to probe takes over: within about a second of
// the server noticing (at once for a killed process on a live host; TCP keepalives set on
// the session — 5 s idle, 2 s interval, 3 probes — bound it when a host vanishes). A holder
// that loses its connection steps down at once. Two nodes may overlap for at most one probe
// interval after the holder's session ended without the holder noticing (the duties tolerate
// that: Telegram answers one of them 409, expiry is idempotent, the alert cursor is shared).
#pragma once

#include "messages/cluster_view.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/leader_decision.hpp"
#include "persistence/pg_connection.hpp"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace qg {

// pg_advisory_lock key of the duties ("QGDT" in ASCII).
inline constexpr std::int64_t kDutiesLock = 0x51474454;

struct LeadershipOptions {
  std::string node;      // effective node id
  std::string address;   // server.listen, shown in the cluster view
  LeaderTiming timing;
  Clock clock = system_clock_ms;
};

class Leadership {
 public:
  using Listener = std::function<void(bool holding)>;

  static std::shared_ptr<Leadership> single_node(LeadershipOptions options);
  // Probes once before returning (start-up knows whether this node holds the duties), then
  // on its own thread until stop(). A first connection that fails is not an error: the node
  // follows and keeps trying.
  static std::shared_ptr<Leadership> postgres(PgOptions pg, LeadershipOptions options);
  ~Leadership();
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  bool holding() const;
  // `fn` is called with true when this node is elected and false when it is deposed, on the
  // leadership thread, one call at a time; at once (on this thread) with true when it holds
  // the duties already. Returns an id for unsubscribe.
  int subscribe(Listener fn);
  // Once this returns `id`'s listener is never called again.
  void unsubscribe(int id);
  // As of the last heartbeat (PostgreSQL) or now (SQLite).
  ClusterView view() const;
  // The nodes whose last heartbeat (as last read) is recent now (leader_decision.hpp
  // node_live): a node that stopped beating drops out within three intervals even while this
  // node cannot read the table. This node included.
  std::set<std::string> live_nodes() const;
  // Ends the thread, tells listeners this node no longer holds the duties, and closes the
  // connection, which frees the lock for the next node. Idempotent.
  void stop();

 private:
  Leadership(std::optional<PgOptions> pg, LeadershipOptions options);
  void round();           // one probe + heartbeat; the thread's body and the first probe
  LockProbe probe();
  void heartbeat(TimeMs now);
  void notify(bool holding);
  void run();

  std::optional<PgOptions> pg_;
  LeadershipOptions options_;
  TimeMs started_ = 0;
  std::unique_ptr<PgConnection> conn_;  // the leadership thread's only

  mutable std::mutex mu_;                // state_, view_, stopping_, next_probe_at_
  std::condition_variable cv_;
  LeaderState state_;
  ClusterView view_;
  TimeMs next_probe_at_ = 0;
  bool stopping_ = false;

  std::mutex listeners_mu_;              // held while listeners run
  std::map<int, Listener> listeners_;
  int next_id_ = 1;
  std::thread thread_;
};

}  // namespace qg
