// cliproxy/quota_parsers.hpp — parse CLIProxyAPI management responses and live quota bodies.
//
// Inputs are response bodies (bytes); outputs are plain structs the collector turns into
// events. Nothing here does I/O or reads the clock (`now` is passed in).
//  - `GET /v0/management/auth-files` -> ManagedAuthFile list (status, unavailable,
//    next_retry_after: CLIProxyAPI's own cooldown of the whole auth).
//  - `POST /v0/management/api-call` envelope {status_code, header, body} -> ApiCallResponse.
//  - Live quota bodies fetched through api-call with CLIProxyAPI's own token ($TOKEN$):
//    Codex `wham/usage`, Claude `api/oauth/usage`, Gemini CLI `retrieveUserQuota`,
//    Antigravity `retrieveUserQuotaSummary` -> PollQuota (per-bucket percentages, reduced to
//    account-level ObservedWindows: per window length, the most-used bucket).
// Poll windows are percentages; an ObservedWindow carries them as metric `requests` with
// limit kPollPercentLimit (100.00 % in hundredths), so used_percent() is exact and a request
// committed between polls counts 0.01 % until the next poll replaces it.
#pragma once

#include "messages/event.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg::cliproxy {

inline constexpr std::int64_t kPollPercentLimit = 10000;

// One entry of GET /v0/management/auth-files (v6.9 and v7; unknown fields ignored).
struct ManagedAuthFile {
  std::string name;            // CLIProxyAPI auth id = file name (may carry "::<project>")
  std::string auth_index;      // handle for api-call / reset-quota
  std::string type;            // runtime provider name (gemini-cli for type "gemini")
  std::string email;
  std::string status;          // active | error | disabled | refreshing | pending | unknown
  std::string status_message;  // last upstream error body (may be long)
  bool disabled = false;
  bool unavailable = false;    // every tracked model of the auth is cooling down
  TimeMs next_retry_after = 0; // when CLIProxyAPI will try it again; 0 = not cooling
  std::string project_id;      // v7, or the "(project)" of `account`
  std::string chatgpt_account_id;  // codex: id_token.chatgpt_account_id
  std::string file_name() const;   // `name` without a "::<project>" suffix
};

// nullopt with `error` set when the body is not an auth-files listing.
std::optional<std::vector<ManagedAuthFile>> parse_auth_files(std::string_view body, std::string* error);

// The api-call envelope. `body` is the upstream body as text.
struct ApiCallResponse {
  int status_code = 0;
  std::map<std::string, std::string> header;  // lower-cased names, first value
  std::string body;
};
std::optional<ApiCallResponse> parse_api_call_response(std::string_view body, std::string* error);

// Which live-quota endpoint serves an auth type; `none` = no poll (generic accounts).
enum class QuotaKind { none, codex, claude, gemini_cli, antigravity };
QuotaKind quota_kind_for_type(std::string_view type);  // accepts file and runtime names
const char* to_string(QuotaKind k);

// One quota bucket as the provider reports it.
struct PollBucket {
  std::string name;            // "primary", "five_hour", "gemini-2.5-pro", "Claude/GPT 5-hour"
  std::int64_t window_s = 0;   // 0 = unknown
  double used_percent = 0;     // 0..100
  TimeMs reset_at = 0;
  std::string model_scope;     // "" = the whole account; else the models it limits
};

struct PollQuota {
  std::vector<PollBucket> buckets;
  bool limit_reached = false;          // the provider says the account is out
  std::vector<ObservedWindow> windows; // account-level reduction of `buckets`
  std::string error;                   // non-empty: body not understood, nothing else set
  bool ok() const { return error.empty(); }
  // Highest used percent over the windows (100 when limit_reached).
  double max_used_percent() const;
  // Earliest reset among windows at 100 % (0 when none is full).
  TimeMs exhausted_until() const;
};

PollQuota parse_codex_usage(std::string_view body, TimeMs now);
PollQuota parse_claude_usage(std::string_view body, TimeMs now);
PollQuota parse_gemini_quota(std::string_view body, TimeMs now);
PollQuota parse_antigravity_summary(std::string_view body, TimeMs now);
PollQuota parse_quota(QuotaKind kind, std::string_view body, TimeMs now);

// Per window length, the most-used bucket (its reset), scaled to kPollPercentLimit. Only
// whole-account buckets count when there are any (Claude's Opus-only weekly limit does not
// block Sonnet); providers that only report per-model buckets (Gemini, Antigravity groups)
// are reduced conservatively over all of them. `limit_reached` makes every window full.
std::vector<ObservedWindow> reduce_buckets(const std::vector<PollBucket>& buckets, bool limit_reached);

// The JSON body of POST /v0/management/api-call that fetches the live quota of one auth.
// `account_id` = Codex ChatGPT account (header), `project` = Gemini project. "" for `none`.
std::string build_quota_api_call(QuotaKind kind, const std::string& auth_index,
                                 const std::string& account_id, const std::string& project);

}  // namespace qg::cliproxy
