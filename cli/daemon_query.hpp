// cli/daemon_query.hpp — how the read commands (quotas, route, forecast) reach their data,
// and how setup and forget hand their change to a running daemon.
//
//   1. The running daemon: GET <path> on --url, else server.listen (0.0.0.0 -> 127.0.0.1,
//      :: -> ::1), with the admin token from config or QUOTAGUARD_ADMIN_TOKEN.
//   2. When no daemon answers: the state rebuilt from the event log (storage.db_path / --db,
//      read-only, newest snapshot + tail), with config.yaml's accounts and router settings
//      brought in the way the daemon does at start-up.
#pragma once

#include "config/config.hpp"
#include "quota/router_settings.hpp"
#include "quota/system_state.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace qg::cli {

struct DaemonAnswer {
  std::string where;                 // "http://127.0.0.1:8318"
  nlohmann::json body;
};

// The daemon's JSON answer to GET `path` (with `params`), or nullopt when no daemon answers.
// `error` is set (and nullopt returned) when one answered with an error status or a body that
// is not a JSON object.
std::optional<DaemonAnswer> get_from_daemon(const Config& cfg, const std::string& url, const std::string& path,
                                            const std::multimap<std::string, std::string>& params,
                                            std::string& error);

// The daemon's JSON answer to POST `path` with `body` on server.listen (the verbs: setup's
// import, forget); same rules as get_from_daemon. `status` (optional) gets the HTTP status of
// any answer, refusals included.
std::optional<DaemonAnswer> post_to_daemon(const Config& cfg, const std::string& path, const nlohmann::json& body,
                                           std::string& error, int* status = nullptr);

// The state from the event log plus config.yaml at `now` (throws StorageError on a bad log).
SystemState offline_state(const Config& cfg, TimeMs now);
// The router settings in force for `state` (config.yaml's router: plus the log's overrides).
RouterSettings offline_settings(const Config& cfg, const SystemState& state);

}  // namespace qg::cli
