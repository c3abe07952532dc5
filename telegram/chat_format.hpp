// telegram/chat_format.hpp — Operations results rendered as Telegram HTML messages.
//
// The bot never computes state itself: it shows what Operations answers (the same JSON the
// admin API returns). These functions turn that JSON into short chat text, escaping every
// value. They are tolerant of missing fields (a field the core does not fill yet is skipped,
// never a crash). Times are shown in UTC with a relative "in 2h5m". Pure, `now` injected.
#pragma once

#include "messages/event.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace qg {
struct OpResult;
struct OpFailure;
}

namespace qg::telegram {

// "2h5m", "45s", "3d4h": a compact duration (negative -> "0s").
std::string compact_duration(TimeMs ms);
// A time value from Operations JSON (ms number, seconds number < 1e11, or ISO text) as
// "15:04 UTC (in 2h5m)"; "" when absent/zero.
std::string format_when(const nlohmann::json& value, TimeMs now);

// /qg_status: service line (uptime, version, journal seq, reservations, ready), per account
// state, used % per window with reset time, reserved, in-flight, cooldown until and why, and
// the sticky route per model.
std::string format_status(const nlohmann::json& status, const nlohmann::json& accounts, TimeMs now);
// /qg_quotas: per account and window: used/limit, reserved, remaining, reset, source.
std::string format_quotas(const nlohmann::json& accounts, TimeMs now);
// /qg_events: one line per event: seq, time, type, account and its data (cut to 200 bytes).
std::string format_events(const std::vector<Event>& events);
// A failed OpResult / typed verb: "❌ <message>".
std::string format_error(const OpResult& r);
std::string format_error(const OpFailure& f);
// A setting value (thresholds / policy / fallbacks) for display.
std::string format_setting(const std::string& key, const nlohmann::json& body);

}  // namespace qg::telegram
