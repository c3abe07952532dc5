// http/advisory_mapping.cpp — see advisory_mapping.hpp.
#include "http/advisory_mapping.hpp"
#include "messages/window_label.hpp"
#include "messages/ascii_text.hpp"

#include "messages/duration.hpp"
#include "http/api_support.hpp"
#include "messages/event_codec.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace qg {

namespace {

constexpr double kMaxUnits = 1e15;  // far above any real quota; keeps conversions defined

std::int64_t window_seconds(const nlohmann::json& v) {
  if (v.is_number()) return v.get<std::int64_t>();
  if (!v.is_string()) return 0;
  auto d = parse_duration(v.get<std::string>());
  return d ? d->count() / 1000 : 0;
}

std::string go_source(QuotaSource source) {
  switch (source) {
    case QuotaSource::headers: return "HEADERS";
    case QuotaSource::poll: return "POLLING";
    case QuotaSource::estimated: return "ESTIMATED";
    case QuotaSource::config: break;
  }
  return "CONFIG";
}

double confidence_of(QuotaSource source) {
  if (source == QuotaSource::estimated) return 0.2;
  if (source == QuotaSource::poll) return 0.8;
  return 1.0;
}

std::int64_t percent_of(std::int64_t limit, double percent) {
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(limit) * percent / 100.0 - 1e-9));
}

void check_percent(double p, const std::string& field) {
  if (p < 0 || p > 100) throw BadField(field + ": must be between 0 and 100");
}

ObservedWindow dimension_window(const nlohmann::json& d, const std::string& where) {
  if (!d.is_object()) throw BadField(where + ": must be an object");
  ObservedWindow w;
  const std::string type = ascii_lower(opt_string(d, "type").value_or(""));
  bool known = true;
  if (type == "rpm") w = {Metric::requests, 60};
  else if (type == "tpm") w = {Metric::tokens, 60};
  else if (type == "rpd") w = {Metric::requests, 86400};
  else if (type == "tpd") w = {Metric::tokens, 86400};
  else known = false;
  if (auto m = opt_string(d, "metric")) {
    auto metric = metric_from_string(*m);
    if (!metric)
      throw BadField(where + ".metric: must be requests, tokens, input_tokens or output_tokens");
    w.metric = *metric;
  } else if (!known) {
    throw BadField(where + ".type: must be RPM, TPM, RPD or TPD (other types need "
                   "\"metric\" and \"window\")");
  }
  if (auto it = d.find("window"); it != d.end() && !it->is_null()) {
    w.window_s = window_seconds(*it);
    if (w.window_s <= 0) throw BadField(where + ".window: must be a duration such as \"5h\"");
  } else if (!known) {
    throw BadField(where + ".window: required for type " + (type.empty() ? "(none)" : type));
  }
  auto units = [&](const char* field) {  // errors named dimensions[i].field
    try {
      return opt_number_in(d, field, 0, kMaxUnits);
    } catch (const BadField& e) {
      throw BadField(where + "." + e.what());
    }
  };
  const auto limit = units("limit");
  if (!limit) throw BadField(where + ".limit: required, a number >= 0");
  w.limit = static_cast<std::int64_t>(std::llround(*limit));
  if (auto used = units("used")) {
    w.used = static_cast<std::int64_t>(std::llround(*used));
  } else if (auto remaining = units("remaining")) {
    if (*remaining < 0 || *remaining > *limit)
      throw BadField(where + ".remaining: must be between 0 and limit");
    w.used = w.limit - static_cast<std::int64_t>(std::llround(*remaining));
  } else {
    throw BadField(where + ": \"used\" or \"remaining\" required");
  }
  if (auto reset = opt_string(d, "reset_at")) {
    auto t = parse_iso8601(*reset);
    if (!t) throw BadField(where + ".reset_at: must be an RFC 3339 time");
    w.reset_at = *t;
  }
  return w;
}

}  // namespace

std::string dimension_type(Metric metric, std::int64_t window_s) {
  const bool requests = metric == Metric::requests;
  if (window_s == 60) return requests ? "RPM" : "TPM";
  if (window_s == 86400) return requests ? "RPD" : "TPD";
  return "WINDOW";
}

Usage percent_to_usage(const AccountView& account, double percent, const std::string& field) {
  check_percent(percent, field);
  Usage u;
  for (const auto& w : account.windows) {
    if (w.limit <= 0) continue;
    const std::int64_t amount = percent_of(w.limit, percent);
    switch (w.metric) {
      case Metric::requests: u.requests = std::max(u.requests, amount); break;
      case Metric::tokens:
      case Metric::input_tokens: u.input_tokens = std::max(u.input_tokens, amount); break;
      case Metric::output_tokens: u.output_tokens = std::max(u.output_tokens, amount); break;
    }
  }
  return u;
}

double usage_to_percent(const AccountView& account, const Usage& u) {
  double worst = 0;
  for (const auto& w : account.windows)
    if (w.limit > 0)
      worst = std::max(worst, static_cast<double>(u.amount(w.metric)) * 100.0 /
                                  static_cast<double>(w.limit));
  return worst;
}

std::string rfc3339(TimeMs t) { return t > 0 ? format_iso8601_ms(t) : std::string(); }

nlohmann::json quota_info(const AccountView& account, TimeMs now) {
  nlohmann::json dims = nlohmann::json::array();
  double effective = 100, virtual_used = 0;
  std::string critical;
  QuotaSource source = QuotaSource::config;
  for (const auto& w : account.windows) {
    if (w.limit <= 0) continue;
    const double limit = static_cast<double>(w.limit);
    nlohmann::json d = {{"name", std::string(to_string(w.metric)) + " " + window_label(w.window_s)},
                        {"type", dimension_type(w.metric, w.window_s)},
                        {"limit", w.limit},
                        {"used", w.used},
                        {"remaining", std::max<std::int64_t>(0, w.limit - w.used)},
                        {"semantics", "FIXED_WINDOW"},
                        {"source", go_source(w.source)},
                        {"confidence", confidence_of(w.source)}};
    if (w.reset_at > 0) d["reset_at"] = rfc3339(w.reset_at);
    dims.push_back(std::move(d));
    const double left =
        std::max(0.0, static_cast<double>(w.limit - w.used - w.reserved) * 100.0 / limit);
    if (critical.empty() || left < effective) {
      effective = left;
      critical = dims.back()["type"].get<std::string>();
      virtual_used = static_cast<double>(w.reserved) * 100.0 / limit;
      source = w.source;
    }
  }
  const std::string& state = account.state;
  nlohmann::json q = {{"provider", account.provider},
                      {"provider_type", account.type},
                      {"account_id", account.id},
                      {"tier", ""},
                      {"dimensions", std::move(dims)},
                      {"effective_remaining_percent", effective},
                      {"source", go_source(source)},
                      {"confidence", confidence_of(source)},
                      {"collected_at", rfc3339(now)},
                      {"is_throttled", state == "cooldown"},
                      {"is_shadow_banned", false},
                      {"virtual_used_percent", virtual_used},
                      {"updated_at", rfc3339(now)},
                      {"state", state}};
  if (!critical.empty()) q["critical_dimension"] = critical;
  return q;
}

QuotaObserved observation_from_ingest(const nlohmann::json& body, const AccountView& account) {
  QuotaObserved q;
  if (auto s = opt_string(body, "source")) {
    const std::string v = ascii_lower(*s);
    if (v == "headers") q.source = QuotaSource::headers;
    else if (v == "polling" || v == "poll") q.source = QuotaSource::poll;
    else if (v == "estimated") q.source = QuotaSource::estimated;
    else throw BadField("source: must be HEADERS, POLLING or ESTIMATED");
  }
  auto dims = body.find("dimensions");
  const bool has_dims = dims != body.end() && !dims->is_null();
  if (has_dims) {
    if (!dims->is_array()) throw BadField("dimensions: must be an array");
    if (dims->size() > kMaxListItems) throw BadField("dimensions: at most " + std::to_string(kMaxListItems) + " items");
    for (std::size_t i = 0; i < dims->size(); ++i)
      q.windows.push_back(dimension_window((*dims)[i], "dimensions[" + std::to_string(i) + "]"));
  }
  if (!q.windows.empty()) return q;
  const auto percent = opt_number(body, "effective_remaining_percent");
  if (!percent) throw BadField("dimensions: required (or effective_remaining_percent)");
  check_percent(*percent, "effective_remaining_percent");
  for (const auto& w : account.windows) {
    if (w.limit <= 0) continue;
    q.windows.push_back({w.metric, w.window_s, w.limit,
                         w.limit - percent_of(w.limit, *percent), w.reset_at});
  }
  if (q.windows.empty())
    throw BadField("dimensions: required, the account has no window with a known limit");
  return q;
}

}  // namespace qg
