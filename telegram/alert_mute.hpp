// telegram/alert_mute.hpp — silencing alerts for a while (/qg_mute, /qg_unmute).
//
// The Go bot had a mute but no command reached it; here it is a command and it is persisted:
// `/qg_mute <duration> [reason]` silences alerts until now + duration (1m..7d, config duration
// syntax: 30m, 2h, 1d, 1h30m), `/qg_unmute` ends it early, `/qg_mute` alone shows it. The
// state is written to the bot store (settings table, key telegram.mute) on every change, so
// a restart keeps the mute. While muted, the alerter passes its alerts through `filter`,
// which counts and drops them (keeping the first few keys); the first pass after the mute
// expires sends one "alerts resumed" note with that count. Thread-safe: the command handler
// and the alerter run on different threads.
#pragma once

#include "telegram/alert_policy.hpp"
#include "messages/event.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg::telegram {

class BotStore;

struct MuteState {
  TimeMs until = 0;                    // 0 = not muted
  std::string reason;
  std::string by;                      // "telegram:<user id>"
  std::int64_t suppressed = 0;         // alerts dropped while muted
  std::vector<std::string> suppressed_keys;  // the first kMaxKeys of them
  static constexpr std::size_t kMaxKeys = 10;
  bool operator==(const MuteState&) const = default;
};

std::string to_json_text(const MuteState& s);
// Malformed text -> nullopt (the caller treats it as "not muted").
std::optional<MuteState> mute_state_from_json_text(std::string_view text);

// "2h", "30m", "1d", "1h30m": between 1 minute and 7 days; nullopt otherwise.
std::optional<TimeMs> parse_mute_duration(std::string_view text);

class AlertMute {
 public:
  static constexpr const char* kStoreKey = "telegram.mute";
  // Loads the saved state from `store` (null: memory only, e.g. in tests).
  explicit AlertMute(BotStore* store);

  void mute(TimeMs until, std::string reason, std::string by);
  // Ends the mute; returns what it held (until == 0 when nothing was muted).
  MuteState unmute();
  MuteState state() const;
  bool active(TimeMs now) const;

  // The alerts to send now: none while muted (they are counted); after a mute that expired
  // by itself, a "resumed" note first, once.
  std::vector<Alert> filter(std::vector<Alert> alerts, TimeMs now);

 private:
  void save();  // caller holds mu_

  BotStore* store_;
  mutable std::mutex mu_;
  MuteState s_;
};

// "Alerts resumed. N alert(s) were muted: a, b, ..." (HTML), or "" when none were.
std::string muted_summary(const MuteState& s);

}  // namespace qg::telegram
