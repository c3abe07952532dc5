// config/config.hpp — the typed configuration of QuotaGuard (INTERFACE §3 plus extensions).
//
// Every key of config.yaml has a field here with its built-in default, so a default-constructed
// Config is exactly "quotaguard serve with no config file". Loading, environment overrides and
// validation live in config/config_loader.hpp; YAML export in config/config_yaml.hpp.
// Depends on the standard library and messages/event.hpp (LimitSpec) only.
#pragma once

#include "messages/event.hpp"
#include "messages/route_policy.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

enum class Synchronous { normal, full };
enum class OnJournalError { reject, allow };
enum class StorageBackend { sqlite, postgres };
enum class LogLevel { trace, debug, info, warn, error };
enum class LogFormat { text, json };

// Names as written in YAML, and back. from_string returns nullopt for unknown names.
const char* to_string(Synchronous v);
const char* to_string(OnJournalError v);
const char* to_string(StorageBackend v);
const char* to_string(LogLevel v);
const char* to_string(LogFormat v);
std::optional<Synchronous> synchronous_from_string(std::string_view s);
std::optional<OnJournalError> on_error_from_string(std::string_view s);
std::optional<StorageBackend> storage_backend_from_string(std::string_view s);
std::optional<LogLevel> log_level_from_string(std::string_view s);
std::optional<LogFormat> log_format_from_string(std::string_view s);

// HTTPS for the listener: both paths set = TLS (PEM files; reloaded with the config).
struct TlsConfig {
  std::string cert;  // certificate chain, leaf first
  std::string key;   // private key (unencrypted PEM)
  bool enabled() const { return !cert.empty(); }
  bool operator==(const TlsConfig&) const = default;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8318";          // HOST:PORT; port 0 = any free port
  std::vector<std::string> api_keys;              // client keys for /v1/*; empty = open  [secret]
  std::string admin_token;                        // Bearer for /api/v1/*                 [secret]
  int max_connections = 8192;                     // concurrent connections (a worker thread each, started on demand)
  std::int64_t max_body_bytes = 10'485'760;      // /v1/* request bodies (413 past it)
  std::int64_t max_admin_body_bytes = 1'048'576;  // /api/v1/*, advisory and other bodies
  // A non-loopback listen with no api_keys serves /v1/* to anyone: refused unless this is true.
  bool allow_unauthenticated = false;
  int threads = 0;                                // actor scheduler threads; 0 = actor_scheduler_workers()
  // Drain time on SIGTERM (env SHUTDOWN_TIMEOUT).
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds{30};
  TlsConfig tls;                                  // server.tls.cert / server.tls.key
  bool operator==(const ServerConfig&) const = default;
};

// storage.postgres: the shared event log of several nodes (docs/EVENT_LOG.md §7).
struct PostgresConfig {
  // libpq connection string, URI or key=value (env QUOTAGUARD_POSTGRES_DSN). Holds the
  // password: a secret, never logged or exported.
  std::string dsn;
  int pool_size = 4;  // connections per node: 1 for the journal, the rest for reads
  // Server-side bound on each statement (SET statement_timeout); 0 = none.
  std::chrono::milliseconds statement_timeout = std::chrono::seconds{5};
  std::string node_id;  // tags the events this node writes; "" = the host name
  bool operator==(const PostgresConfig&) const = default;
};

struct StorageConfig {
  StorageBackend backend = StorageBackend::sqlite;
  std::string db_path = "./quotaguard.db";
  Synchronous synchronous = Synchronous::normal;
  std::int64_t snapshot_every = 10'000;           // events between snapshots; 0 = never
  OnJournalError on_error = OnJournalError::reject;
  // How long a write waits for a lock held by another process before it counts as failed.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds{5};
  PostgresConfig postgres;
  bool operator==(const StorageConfig&) const = default;
};

struct CliproxyConfig {
  std::string auth_dir = "~/.cli-proxy-api";      // as written; see expand_user_path()
  std::string base_url = "http://127.0.0.1:8317";
  std::string api_key;                            // [secret]
  std::string management_key;                     // [secret]
  std::chrono::milliseconds rescan_interval = std::chrono::minutes{5};
  std::chrono::milliseconds poll_interval = std::chrono::seconds{60};
  bool operator==(const CliproxyConfig&) const = default;
};

// One statically configured upstream account (accounts[]).
struct AccountConfig {
  std::string id;
  std::string provider;                           // openai | anthropic | gemini | cliproxy
  std::string type;                               // defaults to provider
  std::string base_url;                           // defaults per provider (see loader)
  std::string api_key;                            // [secret]
  std::vector<std::string> models;                // empty = any model
  std::int64_t priority = 0;
  bool enabled = true;
  std::vector<LimitSpec> limits;                  // static windows; window_s in seconds
  std::string prefix;                             // CLIProxyAPI model prefix; "" = none
  bool operator==(const AccountConfig&) const = default;
};

// Percent USED of a quota window; warning < switch < critical.
struct ThresholdsConfig {
  double warning = 85;
  double switch_at = 90;                          // YAML key `switch`
  double critical = 95;
  bool operator==(const ThresholdsConfig&) const = default;
};

struct AntiFlappingConfig {
  std::chrono::milliseconds min_dwell = std::chrono::minutes{5};
  std::chrono::milliseconds cooldown_after_switch = std::chrono::minutes{3};
  double hysteresis = 5;                          // percentage points
  bool operator==(const AntiFlappingConfig&) const = default;
};

struct CircuitBreakerConfig {
  int failures = 5;                               // consecutive failures before a cooldown
  std::chrono::milliseconds base = std::chrono::seconds{10};  // first cooldown, doubled per repeat
  std::chrono::milliseconds cap = std::chrono::minutes{10};
  std::chrono::milliseconds auth_cooldown = std::chrono::hours{6};  // after 401/403
  bool operator==(const CircuitBreakerConfig&) const = default;
};

struct RouterConfig {
  RoutePolicy policy = RoutePolicy::balanced;
  ThresholdsConfig thresholds;
  AntiFlappingConfig anti_flapping;
  std::map<std::string, std::vector<std::string>> fallback_chains;  // model -> models
  AllCritical all_critical = AllCritical::drain;
  bool route_by_client_key = false;               // sticky choice per (model, client key)
  CircuitBreakerConfig circuit_breaker;
  bool operator==(const RouterConfig&) const = default;
};

struct ReservationsConfig {
  std::chrono::milliseconds ttl = std::chrono::minutes{10};
  std::int64_t default_max_tokens = 1024;
  // Output estimate for requests that name no max tokens, by model (as the client asked it)
  // or by dialect (chat|messages|responses|gemini); a model entry wins. Codex CLI and Gemini
  // CLI send none. Falls back to default_max_tokens.
  std::map<std::string, std::int64_t> default_output_tokens;
  bool operator==(const ReservationsConfig&) const = default;
};

struct ProxyConfig {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{5};
  std::chrono::milliseconds first_byte_timeout = std::chrono::seconds{120};
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{120};  // between streamed chunks
  int max_attempts = 3;                           // accounts tried per request
  std::int64_t max_sse_event_bytes = 16'777'216;  // an upstream SSE event (or line) larger: stream ends with an error
  std::int64_t max_response_bytes = 67'108'864;   // a non-stream upstream body larger: 502, next account
  std::chrono::milliseconds request_timeout = std::chrono::minutes{10};  // whole non-stream request (all attempts)
  bool operator==(const ProxyConfig&) const = default;
};

struct TelegramConfig {
  bool enabled = false;
  std::string token;                              // [secret]
  std::string api_base = "https://api.telegram.org";
  std::vector<std::int64_t> admins;               // user ids obeyed
  std::int64_t alert_chat = 0;
  // Webhook mode instead of long polling: Telegram POSTs updates to this public https URL,
  // which a reverse proxy forwards to POST /telegram/webhook; "" = long polling.
  std::string webhook_url;
  std::string webhook_secret;                     // [secret] X-Telegram-Bot-Api-Secret-Token
  bool operator==(const TelegramConfig&) const = default;
};

// Telegram alerts beyond threshold crossings (docs/TELEGRAM.md, docs/FORECAST.md).
struct AlertsConfig {
  // Alert when a model pool is forecast to run dry (every account past `critical` at the
  // current pace) within this long.
  std::chrono::milliseconds forecast_horizon = std::chrono::minutes{30};
  bool operator==(const AlertsConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::text;
  bool access = true;  // one structured line per proxied request at info (http/access_log.hpp)
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  CliproxyConfig cliproxy;
  std::vector<AccountConfig> accounts;
  RouterConfig router;
  ReservationsConfig reservations;
  ProxyConfig proxy;
  TelegramConfig telegram;
  AlertsConfig alerts;
  LogConfig log;
  bool operator==(const Config&) const = default;
};

// Every secret value the config holds (non-empty only): api keys, tokens, management key.
std::vector<std::string> config_secrets(const Config& cfg);

// `~` or `~/...` expanded with $HOME; anything else unchanged.
std::string expand_user_path(std::string_view path);

// The actor scheduler's workers for server.threads = `configured` on a machine of `cores`
// (std::thread::hardware_concurrency(); 0 = unknown): `configured` when > 0, else one worker
// per two cores, at least one. The actors are about a fifth of a proxied request's CPU (the
// HTTP threads the rest), so one worker keeps up with two cores of HTTP work, and a second
// worker mostly woke to take messages the first would have run next: on 2 cores at max load,
// one worker instead of two made 0.89x the context switches and 0.91x the CPU per request,
// 1.10x the requests a second, with the same latency at 500/s (docs/PERFORMANCE.md, "Issue 17,
// tenth pass").
std::size_t actor_scheduler_workers(int configured, unsigned cores);

}  // namespace qg
