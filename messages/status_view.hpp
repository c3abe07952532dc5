// messages/status_view.hpp — what GET /api/v1/status answers, as types (no behaviour).
//
// Operations::status returns it; messages/status_json.hpp renders it for the admin API,
// telegram/chat_format for /qg_status. Reading it never makes the journal commit:
// `journal_seq` is the last seq committed to the log, read from its read-only connection.
#pragma once

#include "messages/cluster_view.hpp"
#include "messages/event.hpp"
#include "messages/settings_view.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace qg {

// One named part of the process (collector, telegram, ...).
struct ComponentHealth {
  bool enabled = false;
  bool healthy = true;
  std::string detail;
  TimeMs last_ok = 0;
  bool operator==(const ComponentHealth&) const = default;
};

struct StatusView {
  std::string version;
  std::int64_t uptime_s = 0;
  bool ready = true;
  std::uint64_t journal_seq = 0;     // last committed seq
  std::uint64_t snapshot_seq = 0;    // newest snapshot's seq (0 = none)
  std::size_t accounts = 0;
  std::map<std::string, std::int64_t> accounts_by_state;  // every AccountStatus name, 0 included
  std::size_t open_reservations = 0;
  std::map<std::string, std::string> sticky_routes;       // route key -> account
  std::map<std::string, ComponentHealth> components;      // those that reported (collector, telegram, ...)
  // The effective router settings (JSON in messages/settings_json.hpp), nullopt when unknown.
  std::optional<RouterSettings> settings;
  // The nodes sharing the log and who holds the singleton duties (one node on SQLite).
  ClusterView cluster;
};

}  // namespace qg
