// persistence/pg_listener.hpp — wakes a node's journal when another node appended.
//
// One thread with its own connection that LISTENs on the events channel (every append
// notifies it at commit, persistence/postgres_event_log.hpp) and calls `on_notify` for each
// wake-up (several notifications that arrive together: one call). Notifications of this
// node's own appends (payload `own_node`) wake nobody: its journal applied those at commit,
// and a wake-up would cost the journal a round trip to find nothing. Notifications are only a
// hint: the journal also reads the log by seq on a timer, so a notification lost while this
// connection was down only delays (docs/EVENT_LOG.md §7.4). A broken connection is retried
// every second; the destructor stops the thread within ~200 ms.
#pragma once

#include "persistence/pg_connection.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace qg {

class PgListener {
 public:
  PgListener(PgOptions options, std::string own_node, std::function<void()> on_notify);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void run();
  PgOptions options_;
  std::string own_node_;
  std::function<void()> on_notify_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace qg
