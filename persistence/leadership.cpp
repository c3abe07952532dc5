// persistence/leadership.cpp — the leadership thread: probe the lock, beat, tell listeners.
#include "persistence/leadership.hpp"

#include "persistence/pg_nodes.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace qg {

namespace {

// Session settings of the leadership connection: the server notices a vanished host within
// ~11 s (TCP keepalives), and no probe waits on a stuck server for long.
constexpr const char* kSessionSettings =
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";

std::string key_text() { return std::to_string(kDutiesLock); }

}  // namespace

Leadership::Leadership(std::optional<PgOptions> pg, LeadershipOptions options)
    : pg_(std::move(pg)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_clock_ms;
  started_ = options_.clock();
  view_.backend = pg_ ? "postgres" : "sqlite";
  view_.node = options_.node;
  view_.duties = !pg_;
  state_.holding = !pg_;
  state_.since = started_;
}

std::shared_ptr<Leadership> Leadership::single_node(LeadershipOptions options) {
  return std::shared_ptr<Leadership>(new Leadership(std::nullopt, std::move(options)));
}

std::shared_ptr<Leadership> Leadership::postgres(PgOptions pg, LeadershipOptions options) {
  pg.read_only = false;
  if (pg.statement_timeout.count() == 0 || pg.statement_timeout > std::chrono::seconds(2))
    pg.statement_timeout = std::chrono::seconds(2);
  std::shared_ptr<Leadership> l(new Leadership(std::move(pg), std::move(options)));
  l->round();
  l->thread_ = std::thread([raw = l.get()] { raw->run(); });
  return l;
}

Leadership::~Leadership() { stop(); }

bool Leadership::holding() const {
  std::lock_guard lock(mu_);
  return state_.holding;
}

int Leadership::subscribe(Listener fn) {
  std::lock_guard lock(listeners_mu_);
  const int id = next_id_++;
  if (holding()) fn(true);
  listeners_[id] = std::move(fn);
  return id;
}

void Leadership::unsubscribe(int id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

ClusterView Leadership::view() const {
  std::lock_guard lock(mu_);
  if (pg_) return view_;
  ClusterView v = view_;  // one node: itself, now
  const TimeMs now = options_.clock();
  v.nodes = {NodeView{options_.node, options_.address, started_, now, true, true}};
  return v;
}

std::set<std::string> Leadership::live_nodes() const {
  const TimeMs now = options_.clock();
  std::set<std::string> out{options_.node};
  std::lock_guard lock(mu_);
  for (const auto& n : view_.nodes)
    if (node_live(n.last_seen, now, options_.timing.check_every_ms)) out.insert(n.node);
  return out;
}

void Leadership::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!pg_) return;
  bool was = false;
  {
    std::lock_guard lock(mu_);
    was = state_.holding;
    state_.holding = false;
    view_.duties = false;
  }
  if (was) notify(false);
  if (conn_ && was) {
    try {  // tell the others at once rather than three heartbeats later
      NodeView self{options_.node, options_.address, started_, options_.clock(), true, false};
      pg_beat(*conn_, self);
    } catch (const StorageError&) {
    }
  }
  conn_.reset();  // the session ends: the lock is free
}

LockProbe Leadership::probe() {
  try {
    if (!conn_) {
      conn_ = PgConnection::connect(*pg_);
      conn_->exec(kSessionSettings);
    }
    bool was = false;
    {
      std::lock_guard lock(mu_);
      was = state_.holding;
    }
    if (!was)
      return conn_->exec("SELECT pg_try_advisory_lock(" + key_text() + ")").text(0, 0) == "t" ? LockProbe::acquired
                                                                                            : LockProbe::busy;
    // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
    const std::string held = std::string(conn_->exec(
        "SELECT EXISTS(SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND "
        "classid = " + std::to_string(static_cast<std::uint64_t>(kDutiesLock) >> 32) +
        " AND objid = " + std::to_string(static_cast<std::uint64_t>(kDutiesLock) & 0xffffffffu) +
        " AND pid = pg_backend_pid() AND granted)").text(0, 0));
    return held == "t" ? LockProbe::held : LockProbe::lost;
  } catch (const StorageError& e) {
    spdlog::debug("leadership: probe failed: {}", e.what());
    return LockProbe::failed;
  }
}

void Leadership::heartbeat(TimeMs now) {
  if (!conn_) return;
  try {
    NodeView self{options_.node, options_.address, started_, now, true, holding()};
    pg_beat(*conn_, self);
    auto nodes = pg_read_nodes(*conn_, now, options_.timing.check_every_ms);
    std::lock_guard lock(mu_);
    view_.nodes = std::move(nodes);
  } catch (const StorageError& e) {
    spdlog::debug("leadership: heartbeat failed: {}", e.what());
  }
}

void Leadership::round() {
  const LockProbe p = probe();
  const TimeMs now = options_.clock();
  LeaderStep step;
  {
    std::lock_guard lock(mu_);
    step = next_leader_step(state_, p, now, options_.timing);
    view_.duties = state_.holding;
    next_probe_at_ = step.next_probe_at;
  }
  if (step.reconnect) conn_.reset();
  if (step.change == LeaderChange::elected) {
    spdlog::info("leadership: node {} holds the singleton duties (Telegram, alerts, CLIProxyAPI polls, "
                 "expiry sweeps)", options_.node);
    notify(true);
  } else if (step.change == LeaderChange::deposed) {
    spdlog::warn("leadership: node {} no longer holds the singleton duties ({})", options_.node,
                 p == LockProbe::failed ? "the database connection failed" : "the lock was lost");
    notify(false);
  }
  heartbeat(now);
}

void Leadership::notify(bool holding) {
  std::lock_guard lock(listeners_mu_);
  for (auto& [id, fn] : listeners_) {
    try {
      fn(holding);
    } catch (const std::exception& e) {
      spdlog::error("leadership: a duty failed to {}: {}", holding ? "start" : "stop", e.what());
    }
  }
}

void Leadership::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const TimeMs wait = std::max<TimeMs>(0, next_probe_at_ - options_.clock());
      cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stopping_; });
      if (stopping_) return;
    }
    round();
  }
}

}  // namespace qg
