// messages/status_json.hpp — the JSON form of qg::StatusView (GET /api/v1/status).
//
// {"version","uptime_s","ready","journal_seq","snapshot_seq","accounts","accounts_by_state":
//  {state: n},"open_reservations","sticky_routes":{route_key: account},"settings",
//  "collector":<component>,"telegram":<component>,"components":{name: <component>},
//  "cluster":{"backend","node","duties","nodes":[{"node","address","started","last_seen",
//  "live","duties"}]}} (times RFC 3339)
// with <component> {"enabled","healthy","detail","last_ok"} (last_ok RFC 3339 or null; a
// component that never reported has {"enabled":false,"healthy":true,"detail":"not running"}).
#pragma once

#include "messages/status_view.hpp"

#include <nlohmann/json.hpp>

namespace qg {

nlohmann::json status_view_json(const StatusView& s);

}  // namespace qg
