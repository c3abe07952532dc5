// http/ratelimit_parsers.hpp — reading quota signals out of upstream responses.
//
// Every upstream response (success or error) may say something about the account's quota:
// OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*` and `anthropic-ratelimit-unified-*`,
// Codex `x-codex-{primary,secondary}-*` (and other `x-<family>-primary-*` families),
// `Retry-After`, and 429/403 bodies (Gemini RESOURCE_EXHAUSTED, Codex usage_limit_reached,
// CLIProxyAPI model_cooldown, insufficient_quota). These pure functions turn them into
// ObservedWindow lists (QuotaObserved, source headers) and a cooldown hint.
//
// Percent-only windows (Codex used-percent, Anthropic unified utilization) are expressed on a
// fixed scale: limit = kPercentScale (10000, i.e. basis points), used = percent * 100,
// metric = requests. Header names are matched case-insensitively.
#pragma once

#include "messages/ascii_text.hpp"
#include "messages/event.hpp"
#include "messages/rate_limit_signals.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qg {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::int64_t kPercentScale = 10000;

// First value of header `name` (case-insensitive), nullopt when absent.
std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name);
// Header names compare without regard to ASCII case (RFC 9110 §5.1). Inline: a proxied
// request compares ~1,000 names, most of them told apart by their length alone.
inline bool header_name_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && ascii_lower_char(a[i]) != ascii_lower_char(b[i])) return false;
  return true;
}
inline bool header_name_starts_with(std::string_view name, std::string_view prefix) {
  return name.size() >= prefix.size() && header_name_equals(name.substr(0, prefix.size()), prefix);
}

// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; reset is a Go duration from now.
void parse_openai_ratelimit_headers(const HeaderList& headers, TimeMs now, RateLimitSignals& out);

// `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
// (reset RFC 3339). A 0 remaining on a 429 sets the cooldown to that window's reset.
void parse_anthropic_ratelimit_headers(const HeaderList& headers, TimeMs now, RateLimitSignals& out);

// `anthropic-ratelimit-unified-{5h,7d,7d_oi,...}-{status,reset,utilization}` and
// `anthropic-ratelimit-unified-{status,reset}` (reset in unix seconds). A rejected window is
// full (used = limit); status rejected sets the cooldown to the latest rejected reset.
void parse_anthropic_unified_headers(const HeaderList& headers, TimeMs now, RateLimitSignals& out);

// `x-<family>-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}`
// (Codex: family "codex"). A window at 100 % on a 429 sets the cooldown to its reset.
void parse_codex_headers(const HeaderList& headers, TimeMs now, RateLimitSignals& out);

// `Retry-After`: delta seconds or an HTTP date. Absolute UTC ms, nullopt when absent/invalid.
std::optional<TimeMs> parse_retry_after(const HeaderList& headers, TimeMs now);

// Error bodies (status >= 400): Gemini/Cloud Code RESOURCE_EXHAUSTED (RetryInfo.retryDelay,
// ErrorInfo quotaResetDelay/quotaResetTimeStamp, per-day quota ids, "reset after 53s"),
// Codex `usage_limit_reached` (resets_at / resets_in_seconds), CLIProxyAPI `model_cooldown`
// (reset_seconds), `insufficient_quota`, OpenAI "try again in 19s". Non-JSON bodies are ignored.
void parse_error_body(int status, std::string_view body, TimeMs now, RateLimitSignals& out);

// All of the above for one response. Cooldown hints only count for 429, 403 with a quota body
// and 503; when several hints exist the latest wins.
RateLimitSignals parse_rate_limit_signals(int status, const HeaderList& headers,
                                          std::string_view body, TimeMs now);

}  // namespace qg
