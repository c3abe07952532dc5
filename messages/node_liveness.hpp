// messages/node_liveness.hpp — whether another node sharing the event log is live, readable
// from any thread.
//
// The account actors' TTL sweeps ask it before expiring another node's reservation
// (quota/expiry_sweep.hpp). The core owns one; the leadership module plugs in its source
// (persistence/leadership.hpp live_nodes: heartbeats read from the `nodes` table each second)
// once it runs. Without a source no other node counts as live (SQLite: there is none).
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>

namespace qg {

class NodeLiveness {
 public:
  using Source = std::function<std::set<std::string>()>;  // the nodes live now

  void set_source(Source source) {
    std::lock_guard lock(mu_);
    source_ = std::move(source);
  }
  std::set<std::string> live() const {
    Source source;
    {
      std::lock_guard lock(mu_);
      source = source_;
    }
    return source ? source() : std::set<std::string>{};
  }

 private:
  mutable std::mutex mu_;
  Source source_;
};

}  // namespace qg
