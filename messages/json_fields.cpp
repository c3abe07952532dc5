// messages/json_fields.cpp — shared JSON field readers/writers for the codecs.
#include "messages/json_fields.hpp"

#include <charconv>
#include <cmath>

namespace qg::json_fields {

namespace {
std::string field_error(std::string_view key, const char* expected) {
  return "field \"" + std::string(key) + "\" is not " + expected;
}

// The member `key`, or false when it is missing or null.
bool member(object o, std::string_view key, element& out) {
  auto r = o.at_key(key);
  if (r.error()) return false;
  out = r.value_unsafe();
  return !out.is_null();
}
}  // namespace

object as_object(element e, std::string_view what) {
  object o;
  if (e.get(o)) throw JsonFieldError(std::string(what) + " is not an object");
  return o;
}

array as_array(element e, std::string_view what) {
  array a;
  if (e.get(a)) throw JsonFieldError(std::string(what) + " is not an array");
  return a;
}

std::string get_string(object o, std::string_view key) {
  element e;
  if (!member(o, key, e)) return {};
  std::string_view v;
  if (e.get(v)) throw JsonFieldError(field_error(key, "a string"));
  return std::string(v);
}

std::int64_t get_int(object o, std::string_view key) {
  element e;
  if (!member(o, key, e)) return 0;
  std::int64_t v = 0;
  if (e.get(v)) throw JsonFieldError(field_error(key, "an integer"));
  return v;
}

double get_double(object o, std::string_view key) {
  element e;
  if (!member(o, key, e)) return 0.0;
  double v = 0;
  if (e.get(v)) throw JsonFieldError(field_error(key, "a number"));
  return v;
}

bool get_bool(object o, std::string_view key, bool fallback) {
  element e;
  if (!member(o, key, e)) return fallback;
  bool v = false;
  if (e.get(v)) throw JsonFieldError(field_error(key, "a boolean"));
  return v;
}

bool get_object(object o, std::string_view key, object& out) {
  element e;
  if (!member(o, key, e)) return false;
  if (e.get(out)) throw JsonFieldError(field_error(key, "an object"));
  return true;
}

bool get_array(object o, std::string_view key, array& out) {
  element e;
  if (!member(o, key, e)) return false;
  if (e.get(out)) throw JsonFieldError(field_error(key, "an array"));
  return true;
}

std::vector<std::string> get_string_list(object o, std::string_view key) {
  std::vector<std::string> out;
  array a;
  if (!get_array(o, key, a)) return out;
  for (element e : a) {
    std::string_view v;
    if (e.get(v)) throw JsonFieldError(field_error(key, "an array of strings"));
    out.emplace_back(v);
  }
  return out;
}

Metric get_metric(object o, std::string_view key) {
  const std::string s = get_string(o, key);
  if (s.empty()) return Metric::requests;
  auto m = metric_from_string(s);
  if (!m) throw JsonFieldError("field \"" + std::string(key) + "\": unknown metric \"" + s + "\"");
  return *m;
}

QuotaSource get_source(object o, std::string_view key) {
  const std::string s = get_string(o, key);
  if (s.empty()) return QuotaSource::config;
  auto q = source_from_string(s);
  if (!q) throw JsonFieldError("field \"" + std::string(key) + "\": unknown source \"" + s + "\"");
  return *q;
}

nlohmann::json usage_to_json(const Usage& u) {
  return {{"requests", u.requests}, {"input_tokens", u.input_tokens},
          {"output_tokens", u.output_tokens}};
}

Usage usage_from(object o) {
  Usage u;
  u.requests = get_int(o, "requests");
  u.input_tokens = get_int(o, "input_tokens");
  u.output_tokens = get_int(o, "output_tokens");
  return u;
}

Usage get_usage(object o, std::string_view key) {
  object u;
  if (!get_object(o, key, u)) return {};
  return usage_from(u);
}

nlohmann::json spec_to_json(const AccountSpec& s) {
  nlohmann::json limits = nlohmann::json::array();
  for (const auto& l : s.limits)
    limits.push_back({{"metric", to_string(l.metric)}, {"window_s", l.window_s}, {"limit", l.limit}});
  nlohmann::json j = {{"provider", s.provider},       {"type", s.type},
          {"email", s.email},             {"base_url", s.base_url},
          {"prefix", s.prefix},           {"models", s.models},
          {"excluded_models", s.excluded_models}, {"priority", s.priority},
          {"enabled", s.enabled},         {"limits", std::move(limits)},
          {"origin", s.origin},           {"file", s.file},
          {"fingerprint", s.fingerprint}, {"expires_at", s.expires_at}};
  if (!s.auth_dir.empty()) j["auth_dir"] = s.auth_dir;  // absent in logs from before imported folders
  return j;
}

AccountSpec spec_from(object o) {
  AccountSpec s;
  s.provider = get_string(o, "provider");
  s.type = get_string(o, "type");
  s.email = get_string(o, "email");
  s.base_url = get_string(o, "base_url");
  s.prefix = get_string(o, "prefix");
  s.models = get_string_list(o, "models");
  s.excluded_models = get_string_list(o, "excluded_models");
  s.priority = get_int(o, "priority");
  s.enabled = get_bool(o, "enabled", true);
  array limits;
  if (get_array(o, "limits", limits)) {
    for (element e : limits) {
      object l = as_object(e, "limits[]");
      s.limits.push_back(LimitSpec{get_metric(l, "metric"), get_int(l, "window_s"), get_int(l, "limit")});
    }
  }
  s.origin = get_string(o, "origin");
  s.file = get_string(o, "file");
  s.fingerprint = get_string(o, "fingerprint");
  s.expires_at = get_int(o, "expires_at");
  s.auth_dir = get_string(o, "auth_dir");
  return s;
}

void ObjectWriter::key(std::string_view k) {
  if (out_.size() > 1) out_ += ',';
  else out_.reserve(256);  // a journal event's JSON (~150-300 bytes) without four regrowths
  append_json_string(out_, k);
  out_ += ':';
}

ObjectWriter& ObjectWriter::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

ObjectWriter& ObjectWriter::num(std::string_view k, std::int64_t value) {
  key(k);
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  return *this;
}

ObjectWriter& ObjectWriter::boolean(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}

ObjectWriter& ObjectWriter::real(std::string_view k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out_ += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out_ += ".0";  // stays a double
  return *this;
}

ObjectWriter& ObjectWriter::raw(std::string_view k, std::string_view json) {
  key(k);
  out_ += json;
  return *this;
}

std::string ObjectWriter::done() {
  out_ += '}';
  return std::move(out_);
}

ObjectWriter& ObjectWriter::usage(std::string_view k, const Usage& u) {
  key(k);
  char buf[24];
  out_ += "{\"requests\":";
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, u.requests).ptr);
  out_ += ",\"input_tokens\":";
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, u.input_tokens).ptr);
  out_ += ",\"output_tokens\":";
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, u.output_tokens).ptr);
  out_ += '}';
  return *this;
}

element parse_document(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string buffer;
  buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(text.data(), text.size());
  element doc;
  auto err = parser.parse(buffer.data(), buffer.size(), false).get(doc);
  if (err) throw JsonFieldError(std::string("invalid JSON: ") + simdjson::error_message(err));
  return doc;
}

}  // namespace qg::json_fields
