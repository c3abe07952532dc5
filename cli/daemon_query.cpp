// cli/daemon_query.cpp — see daemon_query.hpp.
#include "cli/daemon_query.hpp"

#include "config/listen_address.hpp"
#include "messages/text_cut.hpp"
#include "persistence/event_log.hpp"
#include "persistence/postgres_event_log.hpp"
#include "persistence/recovery.hpp"
#include "quota/config_sync.hpp"

#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

namespace qg::cli {

using nlohmann::json;

namespace {

std::unique_ptr<httplib::Client> daemon_client(const Config& cfg, const std::string& url, std::string& where) {
  if (!url.empty()) {
    where = url;
    return std::make_unique<httplib::Client>(url);
  }
  auto listen = parse_listen(cfg.server.listen);
  if (!listen || listen->port == 0) return nullptr;
  std::string host = listen->host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  where = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
          std::to_string(listen->port);
  return std::make_unique<httplib::Client>(host, listen->port);
}

}  // namespace

namespace {

httplib::Headers admin_headers(const Config& cfg) {
  std::string token = cfg.server.admin_token;
  if (token.empty())
    if (const char* env = std::getenv("QUOTAGUARD_ADMIN_TOKEN")) token = env;
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return headers;
}

// One call to the daemon: nullopt when none answers (or, with `error`, when it refused).
template <class Call>
std::optional<DaemonAnswer> ask_daemon(const Config& cfg, const std::string& url, int read_timeout_s,
                                       std::string& error, int* status, Call call) {
  DaemonAnswer answer;
  auto client = daemon_client(cfg, url, answer.where);
  if (!client) return std::nullopt;
  if (!client->is_valid()) {
    error = "--url " + url + " is not a valid http(s) URL";
    return std::nullopt;
  }
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(read_timeout_s, 0);
  auto res = call(*client, admin_headers(cfg));
  if (!res) return std::nullopt;
  if (status) *status = res->status;
  answer.body = json::parse(res->body, nullptr, false);
  if (res->status >= 300 || !answer.body.is_object()) {
    const bool shaped = answer.body.is_object() && answer.body.contains("error") && answer.body["error"].is_object();
    error = "daemon at " + answer.where + " answered " + std::to_string(res->status) + ": " +
            (shaped ? answer.body["error"].value("message", "") : std::string(utf8_prefix(res->body, 200)));
    return std::nullopt;
  }
  return answer;
}

}  // namespace

std::optional<DaemonAnswer> get_from_daemon(const Config& cfg, const std::string& url, const std::string& path,
                                            const std::multimap<std::string, std::string>& params,
                                            std::string& error) {
  return ask_daemon(cfg, url, 10, error, nullptr, [&](httplib::Client& c, const httplib::Headers& headers) {
    return c.Get(path.c_str(), httplib::Params(params.begin(), params.end()), headers);
  });
}

std::optional<DaemonAnswer> post_to_daemon(const Config& cfg, const std::string& path, const nlohmann::json& body,
                                           std::string& error, int* status) {
  return ask_daemon(cfg, "", 30, error, status, [&](httplib::Client& c, const httplib::Headers& headers) {
    return c.Post(path.c_str(), headers, body.dump(), "application/json");
  });
}

SystemState offline_state(const Config& cfg, TimeMs now) {
  SystemState state;
  if (event_log_exists(cfg.storage)) state = recover(*open_event_log(cfg.storage, OpenMode::read_only)).state;
  // As the daemon's start-up would (on a shared log, as this node: others' accounts stay).
  const std::string node = cfg.storage.backend == StorageBackend::postgres ? effective_node_id(cfg.storage.postgres.node_id) : "";
  for (const auto& e : config_sync_events(cfg, state, now, node)) apply(state, e);
  return state;
}

RouterSettings offline_settings(const Config& cfg, const SystemState& state) {
  return effective_settings(router_settings_from(cfg.router), state.router);
}

}  // namespace qg::cli
