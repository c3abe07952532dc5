// cliproxy/quota_parsers.cpp — see quota_parsers.hpp.
#include "cliproxy/quota_parsers.hpp"
#include "messages/json_depth.hpp"

#include "cliproxy/time_parse.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace qg::cliproxy {
namespace {

using nlohmann::json;

json parse_object(std::string_view body, std::string* error, const char* what) {
  json j = json_too_deep(body) ? json(nullptr) : json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (error) *error = std::string(what) + ": response is not a JSON object";
    return json();
  }
  return j;
}

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool boolean(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

std::optional<double> number(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    try {
      std::size_t used = 0;
      std::string s = it->get<std::string>();
      double v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (...) {
    }
  }
  return std::nullopt;
}

TimeMs time_field(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->is_number()) return unix_number_to_ms(it->get<double>()).value_or(0);
  if (it->is_string()) return parse_time_text(it->get<std::string>()).value_or(0);
  return 0;
}

double clamp_percent(double p) { return std::isfinite(p) ? std::clamp(p, 0.0, 100.0) : 0.0; }

// Go duration text as used by Antigravity ("5h", "168h", "30m", "1h30m", "90s") -> seconds.
std::int64_t go_duration_s(std::string_view s) {
  std::int64_t total = 0;
  double value = 0;
  bool have = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      value = value * 10 + (c - '0');
      have = true;
      continue;
    }
    if (!have) return 0;
    if (c == 'h') total += static_cast<std::int64_t>(value * 3600);
    else if (c == 'm') total += static_cast<std::int64_t>(value * 60);
    else if (c == 's') total += static_cast<std::int64_t>(value);
    else if (c == 'd') total += static_cast<std::int64_t>(value * 86400);
    else return 0;
    value = 0;
    have = false;
  }
  return have ? 0 : total;
}

PollQuota failed(std::string error) {
  PollQuota q;
  q.error = std::move(error);
  return q;
}

PollQuota finish(PollQuota q, const char* what) {
  if (q.buckets.empty() && !q.limit_reached) return failed(std::string(what) + ": no quota windows in response");
  q.windows = reduce_buckets(q.buckets, q.limit_reached);
  return q;
}

// A remaining fraction 0..1 (or a percentage > 1) -> used percent.
double used_from_remaining(double remaining) {
  if (remaining > 1.0) remaining /= 100.0;
  return clamp_percent((1.0 - remaining) * 100.0);
}

}  // namespace

std::string ManagedAuthFile::file_name() const {
  auto pos = name.find("::");
  return pos == std::string::npos ? name : name.substr(0, pos);
}

std::optional<std::vector<ManagedAuthFile>> parse_auth_files(std::string_view body, std::string* error) {
  json j = parse_object(body, error, "auth-files");
  if (j.is_null()) return std::nullopt;
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) {
    if (error) *error = "auth-files: no \"files\" array";
    return std::nullopt;
  }
  std::vector<ManagedAuthFile> out;
  for (const auto& f : *files) {
    if (!f.is_object()) continue;
    ManagedAuthFile m;
    m.name = str(f, "name");
    if (m.name.empty()) m.name = str(f, "id");
    if (m.name.empty()) continue;
    m.auth_index = str(f, "auth_index");
    m.type = str(f, "provider");
    if (m.type.empty()) m.type = str(f, "type");
    m.email = str(f, "email");
    m.status = str(f, "status");
    m.status_message = str(f, "status_message");
    m.disabled = boolean(f, "disabled");
    m.unavailable = boolean(f, "unavailable");
    m.next_retry_after = time_field(f, "next_retry_after");
    m.project_id = str(f, "project_id");
    if (m.project_id.empty()) {  // gemini: "account": "email (project)"
      std::string account = str(f, "account");
      auto open = account.rfind(" (");
      if (open != std::string::npos && account.back() == ')')
        m.project_id = account.substr(open + 2, account.size() - open - 3);
    }
    if (auto id = f.find("id_token"); id != f.end() && id->is_object())
      m.chatgpt_account_id = str(*id, "chatgpt_account_id");
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<ApiCallResponse> parse_api_call_response(std::string_view body, std::string* error) {
  json j = parse_object(body, error, "api-call");
  if (j.is_null()) return std::nullopt;
  auto code = number(j, "status_code");
  if (!code) {
    if (error) *error = "api-call: no status_code";
    return std::nullopt;
  }
  ApiCallResponse r;
  r.status_code = static_cast<int>(*code);
  if (auto h = j.find("header"); h != j.end() && h->is_object()) {
    for (auto it = h->begin(); it != h->end(); ++it) {
      std::string name = it.key();
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (it->is_string()) r.header[name] = it->get<std::string>();
      else if (it->is_array() && !it->empty() && (*it)[0].is_string()) r.header[name] = (*it)[0].get<std::string>();
    }
  }
  if (auto b = j.find("body"); b != j.end()) r.body = b->is_string() ? b->get<std::string>() : b->dump();
  return r;
}

QuotaKind quota_kind_for_type(std::string_view type) {
  std::string t(type);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "codex") return QuotaKind::codex;
  if (t == "claude") return QuotaKind::claude;
  if (t == "gemini" || t == "gemini-cli") return QuotaKind::gemini_cli;
  if (t == "antigravity") return QuotaKind::antigravity;
  return QuotaKind::none;
}

const char* to_string(QuotaKind k) {
  switch (k) {
    case QuotaKind::codex: return "codex";
    case QuotaKind::claude: return "claude";
    case QuotaKind::gemini_cli: return "gemini-cli";
    case QuotaKind::antigravity: return "antigravity";
    case QuotaKind::none: return "none";
  }
  return "none";
}

double PollQuota::max_used_percent() const {
  if (limit_reached) return 100.0;
  double m = 0;
  for (const auto& w : windows)
    if (w.limit > 0) m = std::max(m, 100.0 * static_cast<double>(w.used) / static_cast<double>(w.limit));
  return m;
}

TimeMs PollQuota::exhausted_until() const {
  TimeMs until = 0;
  for (const auto& w : windows)
    if (w.limit > 0 && w.used >= w.limit && w.reset_at > 0) until = until ? std::min(until, w.reset_at) : w.reset_at;
  return until;
}

std::vector<ObservedWindow> reduce_buckets(const std::vector<PollBucket>& buckets, bool limit_reached) {
  bool any_account_level = std::any_of(buckets.begin(), buckets.end(),
                                       [](const PollBucket& b) { return b.model_scope.empty(); });
  std::map<std::int64_t, const PollBucket*> worst;
  for (const auto& b : buckets) {
    if (any_account_level && !b.model_scope.empty()) continue;
    auto& slot = worst[b.window_s];
    if (!slot || b.used_percent > slot->used_percent ||
        (b.used_percent == slot->used_percent && b.reset_at > slot->reset_at))
      slot = &b;
  }
  std::vector<ObservedWindow> out;
  for (const auto& [window_s, b] : worst) {
    ObservedWindow w;
    w.metric = Metric::requests;
    w.window_s = window_s;
    w.limit = kPollPercentLimit;
    w.used = limit_reached ? kPollPercentLimit
                           : static_cast<std::int64_t>(std::llround(b->used_percent * kPollPercentLimit / 100.0));
    w.reset_at = b->reset_at;
    out.push_back(w);
  }
  return out;
}

PollQuota parse_codex_usage(std::string_view body, TimeMs now) {
  std::string err;
  json j = parse_object(body, &err, "codex wham/usage");
  if (j.is_null()) return failed(err);
  auto rl = j.find("rate_limit");
  if (rl == j.end() || !rl->is_object()) return failed("codex wham/usage: no rate_limit");
  PollQuota q;
  q.limit_reached = boolean(*rl, "limit_reached") || (rl->contains("allowed") && (*rl)["allowed"].is_boolean() && !(*rl)["allowed"].get<bool>());
  for (const char* name : {"primary_window", "secondary_window"}) {
    auto w = rl->find(name);
    if (w == rl->end() || !w->is_object()) continue;
    PollBucket b;
    b.name = std::string(name).substr(0, std::string(name).find('_'));
    b.window_s = static_cast<std::int64_t>(number(*w, "limit_window_seconds").value_or(0));
    b.used_percent = clamp_percent(number(*w, "used_percent").value_or(0));
    b.reset_at = time_field(*w, "reset_at");
    if (!b.reset_at)
      if (auto after = number(*w, "reset_after_seconds")) b.reset_at = now + static_cast<TimeMs>(*after * 1000);
    q.buckets.push_back(b);
  }
  return finish(std::move(q), "codex wham/usage");
}

PollQuota parse_claude_usage(std::string_view body, TimeMs) {
  std::string err;
  json j = parse_object(body, &err, "claude oauth/usage");
  if (j.is_null()) return failed(err);
  struct Window { const char* key; std::int64_t seconds; const char* scope; };
  const Window windows[] = {{"five_hour", 18000, ""}, {"seven_day", 604800, ""},
                            {"seven_day_opus", 604800, "claude-opus*"},
                            {"seven_day_sonnet", 604800, "claude-sonnet*"},
                            {"seven_day_oauth_apps", 604800, "oauth-apps"}};
  PollQuota q;
  for (const auto& w : windows) {
    auto it = j.find(w.key);
    if (it == j.end() || !it->is_object()) continue;
    auto util = number(*it, "utilization");
    if (!util) continue;
    PollBucket b;
    b.name = w.key;
    b.window_s = w.seconds;
    b.used_percent = clamp_percent(*util);
    b.reset_at = time_field(*it, "resets_at");
    b.model_scope = w.scope;
    q.buckets.push_back(b);
  }
  return finish(std::move(q), "claude oauth/usage");
}

PollQuota parse_gemini_quota(std::string_view body, TimeMs) {
  std::string err;
  json j = parse_object(body, &err, "gemini retrieveUserQuota");
  if (j.is_null()) return failed(err);
  auto buckets = j.find("buckets");
  if (buckets == j.end() || !buckets->is_array()) return failed("gemini retrieveUserQuota: no buckets");
  PollQuota q;
  for (const auto& e : *buckets) {
    if (!e.is_object()) continue;
    auto remaining = number(e, "remainingFraction");
    if (!remaining) continue;
    PollBucket b;
    b.name = str(e, "modelId");
    b.window_s = 86400;  // Gemini CLI quotas are daily
    b.used_percent = used_from_remaining(*remaining);
    b.reset_at = time_field(e, "resetTime");
    b.model_scope = b.name.empty() ? "*" : b.name;
    q.buckets.push_back(b);
  }
  return finish(std::move(q), "gemini retrieveUserQuota");
}

PollQuota parse_antigravity_summary(std::string_view body, TimeMs) {
  std::string err;
  json j = parse_object(body, &err, "antigravity retrieveUserQuotaSummary");
  if (j.is_null()) return failed(err);
  auto groups = j.find("groups");
  if (groups == j.end() || !groups->is_array()) return failed("antigravity retrieveUserQuotaSummary: no groups");
  PollQuota q;
  for (const auto& g : *groups) {
    if (!g.is_object()) continue;
    std::string group = str(g, "displayName");
    auto buckets = g.find("buckets");
    if (buckets == g.end() || !buckets->is_array()) continue;
    for (const auto& e : *buckets) {
      if (!e.is_object()) continue;
      auto remaining = number(e, "remainingFraction");
      if (!remaining) continue;
      PollBucket b;
      b.name = group + " " + str(e, "displayName");
      b.window_s = go_duration_s(str(e, "window"));
      b.used_percent = used_from_remaining(*remaining);
      b.reset_at = time_field(e, "resetTime");
      b.model_scope = group.empty() ? "*" : group;
      q.buckets.push_back(b);
    }
  }
  return finish(std::move(q), "antigravity retrieveUserQuotaSummary");
}

PollQuota parse_quota(QuotaKind kind, std::string_view body, TimeMs now) {
  switch (kind) {
    case QuotaKind::codex: return parse_codex_usage(body, now);
    case QuotaKind::claude: return parse_claude_usage(body, now);
    case QuotaKind::gemini_cli: return parse_gemini_quota(body, now);
    case QuotaKind::antigravity: return parse_antigravity_summary(body, now);
    case QuotaKind::none: break;
  }
  return failed("no live quota endpoint for this auth type");
}

std::string build_quota_api_call(QuotaKind kind, const std::string& auth_index,
                                 const std::string& account_id, const std::string& project) {
  json req = {{"auth_index", auth_index}};
  json header = {{"Authorization", "Bearer $TOKEN$"}, {"Content-Type", "application/json"}};
  switch (kind) {
    case QuotaKind::codex:
      req["method"] = "GET";
      req["url"] = "https://chatgpt.com/backend-api/wham/usage";
      if (!account_id.empty()) header["Chatgpt-Account-Id"] = account_id;
      break;
    case QuotaKind::claude:
      req["method"] = "GET";
      req["url"] = "https://api.anthropic.com/api/oauth/usage";
      header["anthropic-beta"] = "oauth-2025-04-20";
      break;
    case QuotaKind::gemini_cli:
      req["method"] = "POST";
      req["url"] = "https://cloudcode-pa.googleapis.com/v1internal:retrieveUserQuota";
      req["data"] = json{{"project", project}}.dump();
      break;
    case QuotaKind::antigravity:
      req["method"] = "POST";
      req["url"] = "https://cloudcode-pa.googleapis.com/v1internal:retrieveUserQuotaSummary";
      req["data"] = "{}";
      break;
    case QuotaKind::none:
      return {};
  }
  req["header"] = header;
  return req.dump();
}

}  // namespace qg::cliproxy
