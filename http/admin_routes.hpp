// http/admin_routes.hpp — the admin API (INTERFACE §4 "Admin"), /api/v1/*.
//
// Every route parses and validates its HTTP input, calls one qg::Operations verb and renders
// its typed answer (the value as JSON, an OpError as status and code); no operator logic lives
// here (the Telegram bot runs the same verbs).
// Auth: `Authorization: Bearer <admin_token>` when a token is set (constant-time compare),
// else 401. Errors are OpenAI-shaped. docs/ADMIN_API.md documents each route.
#pragma once

#include "messages/operations.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <memory>

#include <string>

namespace httplib {
class Server;
}

namespace qg {

class AdminToken;  // http/client_auth.hpp

struct AdminRouteOptions {
  // server.admin_token, shared so a reload rotates it; null or "" = open (config refuses that
  // unless listen is loopback).
  std::shared_ptr<const AdminToken> admin_token;
  std::size_t max_body_bytes = 1u << 20;  // server.max_admin_body_bytes
};

// Registers GET /api/v1/status, /accounts, /accounts/{id}, POST /accounts/{id}/drain|resume|
// reset-cooldown, GET /reservations, GET|PUT /thresholds|/policy|/fallbacks, POST /reload,
// GET|POST /import, POST /import/forget, GET /export, GET /events, GET /activity, GET /route.
// `ops` must outlive the server.
void register_admin_routes(httplib::Server& server, Operations& ops,
                           const AdminRouteOptions& options);

// The body GET|PUT /api/v1/{thresholds,policy,fallbacks,...} answers: the setting's value in
// the settings JSON form (messages/settings_json.hpp), wrapped in its field when it has one
// ({"policy": "balanced"}); null without settings.
nlohmann::json setting_body(const SettingView& v);

}  // namespace qg
