// http/ratelimit_parsers.cpp — see ratelimit_parsers.hpp.
#include "http/ratelimit_parsers.hpp"
#include "messages/ascii_text.hpp"

#include "http/time_text.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace qg {
namespace {


std::optional<std::int64_t> header_int(const HeaderList& h, std::string_view name) {
  auto v = find_header(h, name);
  if (!v) return std::nullopt;
  auto n = parse_number(*v);
  if (!n || *n < 0) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(*n));
}

void raise_cooldown(RateLimitSignals& out, TimeMs until, std::string detail) {
  if (until <= out.cooldown_until) return;
  out.cooldown_until = until;
  out.cooldown_detail = std::move(detail);
}

std::string seconds_text(TimeMs ms) { return std::to_string((ms + 999) / 1000) + "s"; }

// Windows with a limit/remaining/reset triple per metric.
struct TripleSpec {
  std::string_view suffix;
  Metric metric;
};

ObservedWindow percent_window(double percent, std::int64_t window_s, TimeMs reset_at) {
  ObservedWindow w;
  w.metric = Metric::requests;
  w.window_s = window_s;
  w.limit = kPercentScale;
  w.used = std::clamp<std::int64_t>(std::llround(percent * kPercentScale / 100.0), 0, kPercentScale);
  w.reset_at = reset_at;
  return w;
}

// Next midnight in US Pacific time (Gemini per-day quotas), taken as 08:00 UTC (PST); during
// daylight saving this is one hour late, which errs on the safe side.
TimeMs next_pacific_midnight(TimeMs now) {
  constexpr TimeMs day = 86400000, offset = 8 * 3600000;
  return ((now - offset) / day + 1) * day + offset;
}

// "... reset after 4h12m3s." / "Please retry in 38.2s." / "try again in 19s" -> ms.
std::optional<std::int64_t> duration_in_message(std::string_view msg) {
  for (std::string_view marker : {"reset after ", "retry in ", "try again in "}) {
    auto pos = ascii_lower(msg).find(marker);
    if (pos == std::string::npos) continue;
    std::size_t start = pos + marker.size(), end = start;
    while (end < msg.size() && !std::isspace(static_cast<unsigned char>(msg[end]))) ++end;
    std::string_view token = msg.substr(start, end - start);
    while (!token.empty() && (token.back() == '.' || token.back() == ',')) token.remove_suffix(1);
    if (auto ms = parse_go_duration_ms(token)) return ms;
  }
  return std::nullopt;
}

std::string_view str_or(simdjson::dom::element e, std::string_view key) {
  std::string_view out;
  if (e.is_object() && e[key].get_string().get(out) == simdjson::SUCCESS) return out;
  return {};
}

std::optional<double> num_of(simdjson::dom::element e, std::string_view key) {
  if (!e.is_object()) return std::nullopt;
  simdjson::dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  double d;
  if (v.is_number() && v.get_double().get(d) == simdjson::SUCCESS)
    return std::isfinite(d) && std::fabs(d) <= 1e15 ? std::optional<double>(d) : std::nullopt;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return parse_number(s);
  return std::nullopt;
}

void parse_google_error(simdjson::dom::element error, TimeMs now, RateLimitSignals& out) {
  out.quota_exhausted = true;
  std::optional<std::int64_t> retry_delay, reset_delay;
  std::optional<TimeMs> reset_stamp;
  bool per_day = false;
  simdjson::dom::array details;
  if (error["details"].get_array().get(details) == simdjson::SUCCESS) {
    for (simdjson::dom::element d : details) {
      std::string_view type = str_or(d, "@type");
      if (type.ends_with("RetryInfo")) {
        retry_delay = parse_go_duration_ms(str_or(d, "retryDelay"));
      } else if (type.ends_with("ErrorInfo")) {
        simdjson::dom::element meta;
        if (d["metadata"].get(meta) == simdjson::SUCCESS) {
          reset_delay = parse_go_duration_ms(str_or(meta, "quotaResetDelay"));
          reset_stamp = parse_rfc3339_ms(str_or(meta, "quotaResetTimeStamp"));
        }
      } else if (type.ends_with("QuotaFailure")) {
        simdjson::dom::array violations;
        if (d["violations"].get_array().get(violations) == simdjson::SUCCESS)
          for (simdjson::dom::element v : violations)
            if (str_or(v, "quotaId").find("PerDay") != std::string_view::npos) per_day = true;
      }
    }
  }
  std::string_view message = str_or(error, "message");
  if (ascii_lower(message).find("per day") != std::string::npos) per_day = true;
  if (per_day) {
    // retryDelay is meaningless for daily quotas: they reset at midnight Pacific.
    raise_cooldown(out, next_pacific_midnight(now), "RESOURCE_EXHAUSTED daily quota");
  } else if (retry_delay) {
    raise_cooldown(out, now + *retry_delay, "RESOURCE_EXHAUSTED retryDelay " + seconds_text(*retry_delay));
  } else if (reset_delay) {
    raise_cooldown(out, now + *reset_delay, "RESOURCE_EXHAUSTED quotaResetDelay " + seconds_text(*reset_delay));
  } else if (reset_stamp) {
    raise_cooldown(out, *reset_stamp, "RESOURCE_EXHAUSTED quotaResetTimeStamp");
  } else if (auto ms = duration_in_message(message)) {
    raise_cooldown(out, now + *ms, "RESOURCE_EXHAUSTED reset after " + seconds_text(*ms));
  }
}

}  // namespace

std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (header_name_equals(k, name)) return std::string_view(v);
  return std::nullopt;
}

void parse_openai_ratelimit_headers(const HeaderList& h, TimeMs now, RateLimitSignals& out) {
  struct Names {
    std::string_view limit, remaining, reset;
    Metric metric;
  };
  static constexpr Names specs[] = {
      {"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests", Metric::requests},
      {"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", Metric::tokens}};
  for (const auto& spec : specs) {
    auto limit = header_int(h, spec.limit);
    auto remaining = header_int(h, spec.remaining);
    if (!limit || !remaining) continue;
    ObservedWindow w;
    w.metric = spec.metric;
    w.limit = *limit;
    w.used = std::max<std::int64_t>(0, *limit - *remaining);
    if (auto reset = find_header(h, spec.reset))
      if (auto ms = parse_go_duration_ms(*reset)) w.reset_at = now + *ms;
    out.windows.push_back(w);
  }
}

void parse_anthropic_ratelimit_headers(const HeaderList& h, TimeMs, RateLimitSignals& out) {
  static const TripleSpec specs[] = {{"requests", Metric::requests},
                                     {"tokens", Metric::tokens},
                                     {"input-tokens", Metric::input_tokens},
                                     {"output-tokens", Metric::output_tokens}};
  for (const auto& spec : specs) {
    std::string base = "anthropic-ratelimit-" + std::string(spec.suffix);
    auto limit = header_int(h, base + "-limit");
    auto remaining = header_int(h, base + "-remaining");
    if (!limit || !remaining) continue;
    ObservedWindow w;
    w.metric = spec.metric;
    w.limit = *limit;
    w.used = std::max<std::int64_t>(0, *limit - *remaining);
    if (auto reset = find_header(h, base + "-reset"))
      if (auto at = parse_rfc3339_ms(*reset)) w.reset_at = *at;
    out.windows.push_back(w);
  }
}

void parse_anthropic_unified_headers(const HeaderList& h, TimeMs now, RateLimitSignals& out) {
  static constexpr std::string_view prefix = "anthropic-ratelimit-unified-";
  struct Unified {
    std::string status;
    std::optional<TimeMs> reset;
    std::optional<double> utilization;
  };
  std::map<std::string, Unified> by_window;  // "" = overall
  for (const auto& [k, v] : h) {
    if (!header_name_starts_with(k, prefix)) continue;
    std::string rest = ascii_lower(std::string_view(k).substr(prefix.size()));
    auto dash = rest.rfind('-');
    std::string window = dash == std::string::npos ? "" : rest.substr(0, dash);
    std::string field = dash == std::string::npos ? rest : rest.substr(dash + 1);
    Unified& u = by_window[window];
    if (field == "status") u.status = ascii_lower(v);
    else if (field == "reset") u.reset = parse_unix_time_ms(v);
    else if (field == "utilization") u.utilization = parse_number(v);
  }
  for (const auto& [window, u] : by_window) {
    if (window.empty()) continue;
    std::int64_t window_s = window == "5h" ? 5 * 3600 : window.starts_with("7d") ? 7 * 86400 : 0;
    bool rejected = u.status == "rejected";
    if (u.utilization || rejected) {
      // utilization is a fraction 0..1 in Claude's headers; values above 1 are percents.
      double percent = rejected ? 100.0 : (*u.utilization <= 1.0 ? *u.utilization * 100.0 : *u.utilization);
      out.windows.push_back(percent_window(percent, window_s, u.reset.value_or(0)));
    }
    if (rejected && u.reset) raise_cooldown(out, *u.reset, "anthropic unified " + window + " window rejected");
  }
  auto overall = by_window.find("");
  if (overall != by_window.end() && overall->second.status == "rejected") {
    out.quota_exhausted = true;
    if (overall->second.reset) raise_cooldown(out, *overall->second.reset, "anthropic unified limit rejected");
  }
  (void)now;
}

void parse_codex_headers(const HeaderList& h, TimeMs now, RateLimitSignals& out) {
  struct Slot {
    std::optional<double> percent;
    std::optional<std::int64_t> window_min;
    std::optional<TimeMs> reset_at;
  };
  std::map<std::string, Slot> slots;  // "<family>-primary" -> values
  for (const auto& [k, v] : h) {
    // x-ratelimit-* is OpenAI's (above); only other x- headers can name a codex slot.
    if (!header_name_starts_with(k, "x-") || header_name_starts_with(k, "x-ratelimit")) continue;
    std::string name = ascii_lower(k);
    for (std::string_view slot_name : {"-primary-", "-secondary-"}) {
      auto pos = name.find(slot_name);
      if (pos == std::string::npos || name.starts_with("x-ratelimit")) continue;
      std::string key = name.substr(2, pos - 2) + std::string(slot_name.substr(0, slot_name.size() - 1));
      std::string field = name.substr(pos + slot_name.size());
      Slot& s = slots[key];
      if (field == "used-percent") s.percent = parse_number(v);
      else if (field == "window-minutes") {
        if (auto n = parse_number(v)) s.window_min = static_cast<std::int64_t>(*n);
      } else if (field == "reset-at") {
        if (auto at = parse_unix_time_ms(v)) s.reset_at = at;
      } else if (field == "reset-after-seconds" && !s.reset_at) {
        if (auto n = parse_number(v)) s.reset_at = now + static_cast<TimeMs>(*n * 1000.0);
      }
    }
  }
  for (const auto& [key, s] : slots) {
    if (!s.percent) continue;
    out.windows.push_back(percent_window(*s.percent, s.window_min.value_or(0) * 60, s.reset_at.value_or(0)));
    if (*s.percent >= 100.0) {
      out.quota_exhausted = true;
      if (s.reset_at) raise_cooldown(out, *s.reset_at, key + " window at 100%");
    }
  }
}

std::optional<TimeMs> parse_retry_after(const HeaderList& h, TimeMs now) {
  auto v = find_header(h, "retry-after");
  if (!v) return std::nullopt;
  if (auto n = parse_number(*v)) {
    if (*n < 0) return std::nullopt;
    return now + static_cast<TimeMs>(std::ceil(*n * 1000.0));
  }
  return parse_http_date_ms(*v);
}

void parse_error_body(int status, std::string_view body, TimeMs now, RateLimitSignals& out) {
  if (status < 400 || body.empty() || body.size() > (1u << 20)) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc, error;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return;
  if (doc.is_array()) {  // Cloud Code sometimes wraps the error in an array
    simdjson::dom::array arr;
    if (doc.get_array().get(arr) != simdjson::SUCCESS || arr.size() == 0) return;
    doc = arr.at(0);
  }
  if (doc["error"].get(error) != simdjson::SUCCESS || !error.is_object()) return;
  std::string_view type = str_or(error, "type"), code = str_or(error, "code");
  if (str_or(error, "status") == "RESOURCE_EXHAUSTED") {
    parse_google_error(error, now, out);
  } else if (type == "usage_limit_reached" || code == "usage_limit_reached") {
    out.quota_exhausted = true;
    if (auto at = num_of(error, "resets_at"))
      raise_cooldown(out, static_cast<TimeMs>(*at * 1000.0), "usage_limit_reached resets_at");
    else if (auto in = num_of(error, "resets_in_seconds"))
      raise_cooldown(out, now + static_cast<TimeMs>(*in * 1000.0), "usage_limit_reached in " + seconds_text(static_cast<TimeMs>(*in * 1000.0)));
  } else if (code == "model_cooldown") {
    out.quota_exhausted = true;
    if (auto s = num_of(error, "reset_seconds"))
      raise_cooldown(out, now + static_cast<TimeMs>(*s * 1000.0), "model_cooldown reset_seconds " + seconds_text(static_cast<TimeMs>(*s * 1000.0)));
  } else if (code == "insufficient_quota" || type == "insufficient_quota" || code == "quota_exceeded") {
    out.quota_exhausted = true;
  } else if (status == 429) {
    out.quota_exhausted = true;
    if (auto ms = duration_in_message(str_or(error, "message")))
      raise_cooldown(out, now + *ms, "429 try again in " + seconds_text(*ms));
  }
}

RateLimitSignals parse_rate_limit_signals(int status, const HeaderList& headers,
                                          std::string_view body, TimeMs now) {
  RateLimitSignals out;
  parse_openai_ratelimit_headers(headers, now, out);
  // Anthropic's headers all start so; most replies have none (no lookups for them then).
  const bool anthropic = std::any_of(headers.begin(), headers.end(), [](const auto& kv) {
    return header_name_starts_with(kv.first, "anthropic-ratelimit-");
  });
  if (anthropic) {
    parse_anthropic_ratelimit_headers(headers, now, out);
    parse_anthropic_unified_headers(headers, now, out);
  }
  parse_codex_headers(headers, now, out);
  parse_error_body(status, body, now, out);
  bool cooling_status = status == 429 || status == 503 || (status == 403 && out.quota_exhausted);
  if (!cooling_status) {
    out.cooldown_until = 0;
    out.cooldown_detail.clear();
    if (status < 400) out.quota_exhausted = false;
    return out;
  }
  if (status == 429) out.quota_exhausted = true;
  if (auto at = parse_retry_after(headers, now))
    raise_cooldown(out, *at, std::to_string(status) + " Retry-After " + seconds_text(*at - now));
  if (status == 429 && out.cooldown_until == 0) {
    // No explicit hint: the reset of a window with nothing left is the next chance.
    for (const auto& w : out.windows)
      if (w.limit > 0 && w.used >= w.limit && w.reset_at > now)
        raise_cooldown(out, w.reset_at, "429 window reset");
  }
  return out;
}

}  // namespace qg
