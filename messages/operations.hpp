// messages/operations.hpp — the operator's verbs, one implementation for every front end.
//
// The admin API (http/admin_routes), the Telegram bot (telegram/) and the CLI call these
// functions, so a Telegram command and the admin route it mirrors run the same code. The
// implementation (actors/control/core_operations) talks to the actors; this interface is
// CAF-free and thread-safe (called from HTTP worker threads and the Telegram poller).
//
// Verbs answer typed values (`OpAnswer<T>`: the value or an `OpFailure` with an `OpError`),
// which each front end renders in its own dialect (http/: JSON bodies and statuses through
// `op_error_status`/`op_error_code`; telegram/: chat text; cli/: over HTTP).
#pragma once

#include "messages/account_view.hpp"
#include "messages/auth_folder_view.hpp"
#include "messages/activity_view.hpp"
#include "messages/dialect.hpp"
#include "messages/event.hpp"
#include "messages/forecast_view.hpp"
#include "messages/reload_view.hpp"
#include "messages/reservation_view.hpp"
#include "messages/route_explanation.hpp"
#include "messages/route_grant.hpp"
#include "messages/settings_view.hpp"
#include "messages/status_view.hpp"
#include "messages/upstream_outcome.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qg {

// Why a verb refused. Front ends branch on it, never on the message text.
enum class OpError : std::uint8_t {
  invalid_argument,     // bad input; the message names the field          (HTTP 400 invalid_request)
  unknown_account,      // no such account                                   (HTTP 404 not_found)
  not_found,            // no such reservation / setting                     (HTTP 404 not_found)
  rejected,             // the state refuses the command (already resolved)  (HTTP 409 conflict)
  journal_unavailable,  // the event log cannot take the command             (HTTP 503 unavailable)
  unavailable,          // the part of the process that would answer is off  (HTTP 503 unavailable)
};

struct OpFailure {
  OpError error = OpError::invalid_argument;
  std::string message;  // for people: names the field, the account, the reason
};

// A verb's answer: `value` when ok(), else `failure`.
template <class T>
struct OpAnswer {
  T value{};
  std::optional<OpFailure> failure;

  bool ok() const { return !failure; }
  static OpAnswer fail(OpError error, std::string message) {
    OpAnswer a;
    a.failure = OpFailure{error, std::move(message)};
    return a;
  }
  static OpAnswer fail(OpFailure f) {
    OpAnswer a;
    a.failure = std::move(f);
    return a;
  }
};

// The value of a verb that only succeeds or refuses.
struct Done {};

// drain / resume / reset_cooldown: the account after the command. `note` says why nothing
// changed (a no-op such as "already draining"), "" when the command took effect.
struct AccountCommandView {
  AccountView account;
  std::string note;
};

// How an advisory reservation is resolved: commit (the actual usage counts), release or cancel
// (nothing counts).
enum class Resolution : std::uint8_t { commit, release, cancel };
const char* resolved_status(Resolution r);  // "committed" | "released" | "cancelled"

// GET /api/v1/events: committed events after a seq, oldest first.
struct EventPage {
  std::vector<Event> events;
  std::uint64_t next_after = 0;  // the last listed seq (`after` when none)
};


// Who asked (not a CAF actor), recorded in events (`by`, `source`): "admin", "telegram:<user id>", "cli".
using Requester = std::string;

class Operations {
 public:
  virtual ~Operations() = default;

  // GET /api/v1/status (messages/status_view.hpp; JSON in messages/status_json.hpp). Never
  // makes the journal commit.
  virtual StatusView status() = 0;

  // GET /api/v1/accounts: every account (removed ones too) at `now`, each window with its
  // forecast (messages/account_view.hpp; JSON in messages/account_json.hpp, INTERFACE §4).
  // account(): one of them, unknown_account when there is none.
  virtual std::vector<AccountView> accounts() = 0;
  virtual OpAnswer<AccountView> account(const std::string& id) = 0;

  // POST /api/v1/accounts/{id}/drain|resume|reset-cooldown: unknown_account, rejected (the state
  // refuses it), journal_unavailable; rendered as the account's JSON plus "note" on a no-op.
  virtual OpAnswer<AccountCommandView> drain(const std::string& id, const Requester& by) = 0;
  virtual OpAnswer<AccountCommandView> resume(const std::string& id, const Requester& by) = 0;
  virtual OpAnswer<AccountCommandView> reset_cooldown(const std::string& id, const Requester& by) = 0;

  // GET /api/v1/reservations: the open reservations (messages/reservation_view.hpp).
  virtual std::vector<ReservationView> reservations() = 0;

  // Settings: key is an `operator_setting` name (messages/settings_view.hpp): "thresholds"
  // (body {"warning","switch","critical"}), "policy" ({"policy"}), "fallbacks"
  // ({"fallback_chains":{model:[models]}}), "anti_flapping", "all_critical"; not_found for
  // another key. put validates (invalid_argument naming the field; journal_unavailable),
  // writes SettingChanged and answers the new effective settings.
  virtual OpAnswer<SettingView> get_setting(const std::string& key) = 0;
  virtual OpAnswer<SettingView> put_setting(const std::string& key, const nlohmann::json& value,
                                             const Requester& by) = 0;

  // Re-read the config and write the differences as events: invalid_argument when the new
  // config is refused (the message says why), unavailable without a config source.
  virtual OpAnswer<ReloadView> reload(const Requester& by) = 0;
  // POST /api/v1/import {"path"}: scan a CLIProxyAPI auth folder ("" = cliproxy.auth_dir); a
  // folder other than cliproxy.auth_dir stays imported (AuthFolderImported): watched and
  // rescanned until forgotten. invalid_argument for a folder that cannot be scanned,
  // unavailable without discovery (messages/auth_folder_view.hpp; `errors` = refused events).
  virtual OpAnswer<ImportView> import_accounts(const std::string& auth_dir, const Requester& by) = 0;
  // GET /api/v1/import: cliproxy.auth_dir and the imported folders.
  virtual OpAnswer<AuthFoldersView> auth_folders() = 0;
  // POST /api/v1/import/forget {"path"}: stop watching an imported folder and remove its
  // accounts (AuthFolderForgotten, AccountRemoved). not_found when not imported, rejected for
  // cliproxy.auth_dir.
  virtual OpAnswer<ForgetFolderView> forget_folder(const std::string& path, const Requester& by) = 0;
  virtual std::string export_yaml() = 0;                              // effective config, secrets redacted
  // invalid_argument unless 1 <= limit <= 10000. Rendered as {"events":[<replay --json lines>],
  // "next_after"} by http/ (event_to_json_line, the one event codec).
  virtual OpAnswer<EventPage> events(std::uint64_t after, std::size_t limit) = 0;
  // GET /api/v1/activity: the event log's last `span_ms` (up to 24 h) as per-account buckets
  // of `bucket_ms` (a multiple of 5 min, up to 1 h) of committed usage, and the latest route
  // decisions, switches and alerts (messages/activity_view.hpp). Read-only.
  virtual ActivityView activity(TimeMs span_ms, TimeMs bucket_ms) = 0;
  // GET /api/v1/forecast: per account and window the burn rate, when it runs out and what stays
  // unused at its reset; per model pool when it runs dry (messages/forecast_view.hpp,
  // quota/forecast.hpp). Read-only. GET /api/v1/accounts carries each window's `forecast` too.
  virtual ForecastView forecast() = 0;
  // GET /api/v1/route: the decision the router would take now for `model`, explained (reserves
  // nothing). invalid_argument for a missing or oversized name, unavailable when the router
  // does not answer.
  virtual OpAnswer<RouteExplanation> explain_route(const std::string& model, const std::string& client_key,
                                                   Dialect dialect) = 0;

  // --- Verbs behind the advisory API (Go-QuotaGuard compatible routes) -------------------
  // Record an observation for a known account (unknown_account for an unknown one; never a
  // silent success).
  virtual OpAnswer<Done> observe(const std::string& account, const QuotaObserved& q, const Requester& by) = 0;
  // Pick an account for `model` (router policy, anti-flapping) and, when `reserve`, hold
  // `estimate` on it. Input errors are failures; when the router finds no account the answer
  // is a RouteGrant with !ok and its own status, code and retry_after_s (as the proxy gets it).
  // `provider` is always filled for a granted account. http/ renders the Go shape
  // {"account_id","provider","model","score","reason","alternative_ids":[...],
  // "reservation_id"?,"expires_at"?}.
  virtual OpAnswer<RouteGrant> select(const std::string& model, const std::vector<std::string>& exclude,
                                      bool reserve, const Usage& estimate) = 0;
  // Reserve on a given account (unknown_account when there is none; a refusal as in select).
  virtual OpAnswer<RouteGrant> reserve(const std::string& account, const std::string& model,
                                       const Usage& estimate, TimeMs ttl_ms) = 0;
  // not_found for an unknown id, rejected when already resolved.
  virtual OpAnswer<Done> resolve(const std::string& reservation_id, Resolution how, const Usage& actual) = 0;
  // One reservation, open or resolved (then only id and status); not_found when unknown.
  virtual OpAnswer<ReservationView> reservation(const std::string& reservation_id) = 0;
  // Feed the circuit breaker with the result of a call the client made itself (kind one of
  // success, server_error, timeout, connect_error, rate_limited, auth_error).
  virtual OpAnswer<Done> feedback(const std::string& account, OutcomeKind kind, TimeMs retry_hint_ms) = 0;
  // Percent share per routable account (by remaining headroom); sums to 100 when any.
  virtual std::map<std::string, double> distribution() = 0;

  // Telegram bot token (settings table); takes effect without restart. Never echoed back.
  virtual OpAnswer<Done> set_telegram_token(const std::string& token, const Requester& by) = 0;
};

}  // namespace qg
