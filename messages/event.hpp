// messages/event.hpp — the events of the QuotaGuard event log (INTERFACE §5).
//
// Every state change in QuotaGuard is one of these events. They are plain structs with no
// behaviour; state is rebuilt from them by the pure `apply` functions in actors/. The JSON
// form of each payload is defined in messages/event_codec.hpp and documented in
// docs/EVENT_LOG.md. Depends on the standard library only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace qg {

// Milliseconds since the Unix epoch, UTC. All times in events and state use this unit.
using TimeMs = std::int64_t;

// Quota metric a window counts. `tokens` counts input + output.
enum class Metric { requests, tokens, input_tokens, output_tokens };
// Where a window's numbers come from.
enum class QuotaSource { config, headers, poll, estimated };

const char* to_string(Metric m);
const char* to_string(QuotaSource s);
std::optional<Metric> metric_from_string(std::string_view s);
std::optional<QuotaSource> source_from_string(std::string_view s);

// Resource use of one call, as a request/commit amount.
struct Usage {
  std::int64_t requests = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;

  // The amount a window of metric `m` counts for this usage.
  std::int64_t amount(Metric m) const;
  bool operator==(const Usage&) const = default;
};

// A static limit from configuration: `limit` units per `window_s` seconds.
struct LimitSpec {
  Metric metric = Metric::requests;
  std::int64_t window_s = 60;
  std::int64_t limit = 0;
  bool operator==(const LimitSpec&) const = default;
};

// What QuotaGuard knows about an account apart from its live quota. Never holds secrets:
// upstream keys stay in config; CLIProxyAPI tokens are reduced to `fingerprint`.
struct AccountSpec {
  std::string provider;                 // openai | anthropic | cliproxy
  std::string type;                     // CLIProxyAPI auth type (codex, claude, ...), else = provider
  std::string email;
  std::string base_url;
  std::string prefix;                   // CLIProxyAPI model prefix; "" = unpinned
  std::vector<std::string> models;      // empty = any model
  std::vector<std::string> excluded_models;  // patterns with '*'
  std::int64_t priority = 0;
  bool enabled = true;
  std::vector<LimitSpec> limits;
  std::string origin;                   // "config" | "cliproxy" | "admin"
  std::string file;                     // auth file name (cliproxy), informational
  std::string auth_dir;                 // folder the auth file was found in (cliproxy): absolute,
                                        // normalised; "" in logs from before imported folders
  std::string fingerprint;              // sha256 prefix of the credential, never the credential
  TimeMs expires_at = 0;                // credential expiry if known, else 0
  bool operator==(const AccountSpec&) const = default;
};

struct AccountRegistered { AccountSpec spec; };
struct AccountUpdated { AccountSpec spec; };
struct AccountRemoved { std::string reason; };

// One window as reported by a provider (headers, 429 body, poll) or by an operator.
struct ObservedWindow {
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;      // 0 = unknown length; matched by metric and reset only
  std::int64_t limit = 0;
  std::int64_t used = 0;
  TimeMs reset_at = 0;            // 0 = unknown
  bool operator==(const ObservedWindow&) const = default;
};
struct QuotaObserved {
  QuotaSource source = QuotaSource::headers;
  std::vector<ObservedWindow> windows;
};

struct ReservationCreated {
  std::string id;
  std::string model;
  Usage estimate;
  TimeMs expires_at = 0;
  std::string request_id;          // x-request-id of the proxied request; "" (absent) when none
  std::string dialect;             // chat | messages | responses | gemini; "" in logs from before dialects
  // What `quotaguard simulate` needs to route the request again (docs/EVENT_LOG.md §4): the
  // model the client asked for ("" = `model`: no fallback), the client key's id (a
  // fingerprint or name, never the key; "" = none), and whether the caller pinned the account.
  std::string asked;
  std::string client;
  bool pinned = false;
};
struct ReservationCommitted {
  std::string id;
  Usage usage;
  bool estimated = false;          // usage estimated from bytes relayed, not reported
};
struct ReservationReleased { std::string id; std::string reason; };
struct ReservationExpired { std::string id; };

struct RouteSwitched {
  std::string route_key;           // model, or model + "|" + client key fingerprint
  std::string from;                // "" when there was no sticky choice
  std::string to;
  std::string reason;              // initial | better | cooldown | exhausted | drain | ...
  std::map<std::string, double> scores;
};

struct CooldownStarted {
  TimeMs until = 0;
  std::string reason;              // rate_limited | errors | auth | upstream_cooldown | operator
  std::string detail;              // human text, e.g. "429 Retry-After 30s", "401: re-login needed"
  std::int64_t failures = 0;       // consecutive failures that led here (errors)
};
struct CooldownEnded { std::string reason; };  // expired | probe_ok | operator

// Operator changes of router/runtime settings. `value` is JSON text.
struct SettingChanged {
  std::string key;                 // e.g. router.thresholds, router.policy, router.fallback_chains
  std::string value;
  std::string source;              // admin | telegram | config
};

// A request the router could not place (the client got 429 or 404): the demand a simulation
// replays (docs/FORECAST.md §2). Global (account '') unless the caller pinned an account.
struct RouteRefused {
  std::string model;               // the model asked
  std::string dialect;
  std::string client;              // client key id, never the key ("" = none)
  Usage estimate;
  std::string request_id;
  std::string error;               // quota_exhausted | no_account_for_model
};

// Added beyond INTERFACE §5 ("more may be added").
struct AccountDrained { std::string by; };
struct AccountResumed { std::string by; };
struct ThresholdCrossed {         // warning/critical crossed upward (alert-worthy), or re-armed
  std::string level;               // warning | critical | recovered
  Metric metric = Metric::requests;
  std::int64_t window_s = 0;
  double used_percent = 0;
};

// A CLIProxyAPI auth folder other than cliproxy.auth_dir that `setup PATH`, `/qg_import PATH`
// or POST /api/v1/import added: watched and rescanned like the configured folder until
// forgotten. `path` is absolute and normalised (cliproxy::folder_key). Account "" (global).
struct AuthFolderImported { std::string path; std::string by; };
struct AuthFolderForgotten { std::string path; std::string by; };

// An event whose type or schema version this build does not know: kept verbatim.
struct UnknownEvent { std::string type; std::string raw; };

using EventPayload = std::variant<AccountRegistered, AccountUpdated, AccountRemoved,
    QuotaObserved, ReservationCreated, ReservationCommitted, ReservationReleased,
    ReservationExpired, RouteSwitched, CooldownStarted, CooldownEnded, SettingChanged,
    AccountDrained, AccountResumed, ThresholdCrossed, AuthFolderImported, AuthFolderForgotten,
    RouteRefused, UnknownEvent>;

struct Event {
  std::uint64_t seq = 0;           // assigned by the journal at commit; 0 before
  TimeMs ts = 0;                   // when the event happened (UTC ms); drives window roll-over
  std::string account;             // may be empty (settings, route switches)
  EventPayload payload;
  // The node that wrote it: storage.postgres.node_id on a shared log (the row's `node`, and a
  // node's own events as its account actors write them); "" on SQLite. Not in the payload.
  std::string node = {};
};

// The fixed event type name ("ReservationCreated", ...), or UnknownEvent::type.
std::string_view event_type(const Event& e);
std::string_view event_type(const EventPayload& p);

}  // namespace qg
