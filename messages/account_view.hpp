// messages/account_view.hpp — what GET /api/v1/accounts answers, as types (no behaviour).
//
// The view Operations::accounts/account return: per account its spec fields, its state at
// `now`, each quota window rolled forward to `now` (with its forecast when one is known) and
// its counters. Built from an AccountState by quota/account_view.hpp, rendered to JSON by
// messages/account_json.hpp (INTERFACE §4), to chat text by telegram/chat_format and read by
// the advisory mapping and the /metrics scrape. Times are TimeMs (0 = none/unknown).
#pragma once

#include "messages/event.hpp"
#include "messages/forecast_view.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qg {

struct WindowView {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  std::int64_t limit = 0;              // 0 = unknown
  std::int64_t used = 0;
  std::int64_t reserved = 0;
  TimeMs reset_at = 0;
  QuotaSource source = QuotaSource::config;
  std::optional<WindowForecast> forecast;  // when the forecast covers this window

  // max(0, limit - used - reserved); nullopt when the limit is unknown.
  std::optional<std::int64_t> remaining() const {
    if (limit <= 0) return std::nullopt;
    const std::int64_t left = limit - used - reserved;
    return left > 0 ? left : 0;
  }
  bool operator==(const WindowView&) const = default;
};

struct AccountCountersView {
  std::int64_t created = 0, committed = 0, released = 0, expired = 0;
  Usage committed_usage;
  bool operator==(const AccountCountersView&) const = default;
};

struct AccountView {
  TimeMs at = 0;                       // when the view was taken (windows rolled to it)
  std::string id;
  std::string provider, type, email, prefix, origin;
  std::string auth_dir;                // the CLIProxyAPI folder it came from ("" for others)
  std::string registered_by;           // the node that registered it (shared logs; "" on SQLite)
  std::int64_t priority = 0;
  std::vector<std::string> models;
  bool enabled = true;
  bool removed = false;
  std::string state;                   // AccountStatus name at `now` (active, cooldown, ...)
  double used_percent = 0;             // the highest window's (used + reserved) / limit
  TimeMs cooldown_until = 0;
  std::string cooldown_reason, cooldown_detail;
  std::vector<WindowView> windows;     // config windows first, then observed
  std::size_t in_flight = 0;           // open reservations
  AccountCountersView counters;
  bool operator==(const AccountView&) const = default;
};

}  // namespace qg
