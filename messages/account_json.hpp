// messages/account_json.hpp — the JSON form of qg::AccountView (the edge: admin API, CLI).
//
// GET /api/v1/accounts (INTERFACE §4): {"accounts":[<account>]}, each account
//   {"id","provider","type","email","prefix","origin","priority","models","enabled","removed",
//    "state","used_percent","cooldown_until","cooldown_reason","cooldown_detail","in_flight",
//    "windows":[<window>],"counters":{"created","committed","released","expired",
//    "committed_usage":{"requests","input_tokens","output_tokens"}}}
// and each window {"metric","window","limit","used","reserved","remaining","reset_at","source"}
// plus "forecast" (messages/forecast_json.hpp window_forecast_json) when one is known.
// Times are RFC 3339 UTC or null; `remaining` is null when the limit is unknown.
#pragma once

#include "messages/account_view.hpp"

#include <nlohmann/json_fwd.hpp>

#include <vector>

namespace qg {

nlohmann::json window_view_json(const WindowView& w, TimeMs at);
nlohmann::json counters_view_json(const AccountCountersView& c);
nlohmann::json account_view_json(const AccountView& a);
nlohmann::json accounts_view_json(const std::vector<AccountView>& accounts);  // {"accounts":[...]}

}  // namespace qg
