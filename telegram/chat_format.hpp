// telegram/chat_format.hpp — Operations results rendered as Telegram HTML messages.
//
// The bot never computes state itself: it shows what Operations answers (typed views). These
// functions turn it into short chat text, escaping every value. Times are shown in UTC with a
// relative "in 2h5m". Pure, `now` injected.
#pragma once

#include "messages/account_view.hpp"
#include "messages/settings_view.hpp"
#include "messages/status_view.hpp"


#include <string>
#include <vector>

namespace qg {
struct OpFailure;
}

namespace qg::telegram {

// "2h5m", "45s", "3d4h": a compact duration (negative -> "0s").
std::string compact_duration(TimeMs ms);
// A time as "15:04 UTC (in 2h5m)" (with the date when more than 20 h away); "" for 0.
std::string format_when(TimeMs t, TimeMs now);

// /qg_status: service line (uptime, version, journal seq, reservations, ready), per account
// state, used % per window with reset time, reserved, in-flight, cooldown until and why, and
// the sticky route per model.
std::string format_status(const StatusView& status, const std::vector<AccountView>& accounts, TimeMs now);
// /qg_quotas: per account and window: used/limit, reserved, remaining, reset, source.
std::string format_quotas(const std::vector<AccountView>& accounts, TimeMs now);
// /qg_events: one line per event: seq, time, type, account and its data (cut to 200 bytes).
std::string format_events(const std::vector<Event>& events);
// A refused verb: "❌ <message>".
std::string format_error(const OpFailure& f);
// A setting (thresholds / policy / fallbacks; another as its settings JSON) for display.
std::string format_setting(const SettingView& setting);

}  // namespace qg::telegram
