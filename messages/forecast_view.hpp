// messages/forecast_view.hpp — what GET /api/v1/forecast answers, as types (no behaviour).
//
// The view Operations::forecast returns: per account and quota window the burn rate, when the
// window runs out at that pace and what stays unused at its reset; per model pool (the accounts
// that serve a model through its fallback chain) when all of them are past `critical`. Built by
// the pure quota/forecast.hpp, rendered to JSON by messages/forecast_json.hpp.
// Times are TimeMs (0 = none/unknown). Depends on messages/event.hpp only.
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// runs_out: the window reaches its limit before it resets (or it has no known reset);
// resets_first: it resets before that; idle: nothing burns it (no commits lately).
enum class ForecastVerdict : std::uint8_t { runs_out, resets_first, idle };
constexpr std::string_view to_string(ForecastVerdict v) {
  switch (v) {
    case ForecastVerdict::runs_out: return "runs_out";
    case ForecastVerdict::resets_first: return "resets_first";
    case ForecastVerdict::idle: return "idle";
  }
  return "idle";
}

struct WindowForecast {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  std::int64_t limit = 0;              // > 0: only windows with a known limit are forecast
  std::int64_t used = 0;               // used + reserved at `at` (what the pace starts from)
  double used_percent = 0;
  TimeMs reset_at = 0;
  double rate_per_s = 0;               // burn of the window's metric (EWMA, units per second)
  ForecastVerdict verdict = ForecastVerdict::idle;
  TimeMs exhausts_at = 0;              // when used reaches limit at this pace (0 = not before reset/never)
  TimeMs short_by_ms = 0;              // runs_out with a known reset: reset_at - exhausts_at
  std::optional<std::int64_t> projected_at_reset;  // used at the reset, capped at limit (reset known)
  std::optional<std::int64_t> unused_at_reset;     // limit - projected_at_reset
  TimeMs critical_at = 0;              // when used passes `critical` percent before the reset (0 = not)
  bool operator==(const WindowForecast&) const = default;
};

struct AccountForecast {
  std::string id;
  std::string state;                   // AccountStatus name at `at`
  std::vector<WindowForecast> windows;
  TimeMs critical_at = 0;              // soonest window past critical (now when not routable), 0 = none
  TimeMs recovers_at = 0;              // when that window resets / the cooldown ends (0 = unknown)
  bool operator==(const AccountForecast&) const = default;
};

struct PoolMember {
  std::string id;
  TimeMs critical_at = 0;
  TimeMs recovers_at = 0;
  bool operator==(const PoolMember&) const = default;
};

struct PoolForecast {
  std::string model;
  std::vector<std::string> chain;      // the model, then its fallbacks in order
  std::vector<PoolMember> accounts;    // every account serving a model of the chain
  TimeMs dry_at = 0;                   // every member past critical from here (0 = not before a reset)
  TimeMs dry_until = 0;                // the first member recovers (0 = unknown)
  bool operator==(const PoolForecast&) const = default;
};

struct ForecastView {
  TimeMs at = 0;
  TimeMs half_life_ms = 0;             // of the burn-rate EWMA
  double critical_percent = 0;         // the threshold pools are measured against
  std::vector<AccountForecast> accounts;  // sorted by id
  std::vector<PoolForecast> pools;        // sorted by model
  bool operator==(const ForecastView&) const = default;
};

}  // namespace qg
