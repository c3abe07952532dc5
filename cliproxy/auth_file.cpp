// cliproxy/auth_file.cpp — see auth_file.hpp.
#include "cliproxy/auth_file.hpp"
#include "messages/json_depth.hpp"
#include "messages/ascii_text.hpp"

#include "cliproxy/time_parse.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace qg::cliproxy {
namespace {

using nlohmann::json;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Field lookup that accepts the snake_case key and its legacy dash-case spelling.
const json* field(const json& obj, std::string_view snake) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(snake));
  if (it != obj.end() && !it->is_null()) return &*it;
  std::string dash(snake);
  std::replace(dash.begin(), dash.end(), '_', '-');
  if (dash == snake) return nullptr;
  it = obj.find(dash);
  if (it != obj.end() && !it->is_null()) return &*it;
  return nullptr;
}

std::string string_field(const json& obj, std::string_view key) {
  const json* v = field(obj, key);
  if (v && v->is_string()) return trim(v->get<std::string>());
  return {};
}

// An integer given as a JSON number or a numeric string; nullopt otherwise.
std::optional<std::int64_t> int_value(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::abs(d) < 9e18) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (v.is_string()) {
    std::string s = trim(v.get<std::string>());
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

// A boolean given as true/false, "true"/"false"/"1"/"0", or 0/1.
std::optional<bool> bool_value(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<std::int64_t>() != 0;
  if (v.is_string()) {
    std::string s = ascii_lower(trim(v.get<std::string>()));
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no" || s.empty()) return false;
  }
  return std::nullopt;
}

std::optional<TimeMs> time_value(const json& v) {
  if (v.is_number()) return unix_number_to_ms(v.get<double>());
  if (v.is_string()) return parse_time_text(v.get<std::string>());
  return std::nullopt;
}

// Credential expiry, in CLIProxyAPI's order (Auth.ExpirationTime), then the nested token
// object, then timestamp + expires_in (antigravity / kimi metadata).
TimeMs expiry_of(const json& obj) {
  static const char* const keys[] = {"expired", "expire", "expires_at", "expiresAt", "expiry", "expires"};
  auto scan = [&](const json& o) -> std::optional<TimeMs> {
    if (!o.is_object()) return std::nullopt;
    for (const char* k : keys) {
      auto it = o.find(k);
      if (it == o.end()) continue;
      if (auto t = time_value(*it)) return t;
    }
    return std::nullopt;
  };
  if (auto t = scan(obj)) return *t;
  for (const char* nested : {"token", "Token"}) {
    auto it = obj.find(nested);
    if (it != obj.end())
      if (auto t = scan(*it)) return *t;
  }
  const json* ts = field(obj, "timestamp");
  const json* in = field(obj, "expires_in");
  if (ts && in) {
    auto base = time_value(*ts);
    auto secs = int_value(*in);
    if (base && secs && *secs > 0) return *base + *secs * 1000;
  }
  return 0;
}

// `prefix`: trimmed of surrounding '/', ignored when it still contains '/'.
std::string prefix_of(const json& obj) {
  std::string p = string_field(obj, "prefix");
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.find('/') != std::string::npos) return {};
  return p;
}

std::vector<std::string> excluded_models_of(const json& obj) {
  std::vector<std::string> out;
  const json* v = field(obj, "excluded_models");
  if (!v) return out;
  auto add = [&](std::string_view s) {
    std::string m = ascii_lower(trim(s));
    if (!m.empty() && std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  };
  if (v->is_array()) {
    for (const auto& e : *v)
      if (e.is_string()) add(e.get<std::string>());
  } else if (v->is_string()) {  // tolerate a comma list
    std::string s = v->get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      add(std::string_view(s).substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

// Collects "path=value" lines of every secret field (recursively) for the fingerprint.
void collect_secrets(const json& v, const std::string& path, bool inside_secret,
                     std::vector<std::string>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      collect_secrets(it.value(), path + "/" + it.key(), inside_secret || is_secret_key(it.key()), out);
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      collect_secrets(v[i], path + "/" + std::to_string(i), inside_secret, out);
  } else if (inside_secret) {
    out.push_back(path + "=" + v.dump());
  }
}

std::string fingerprint_of(const json& obj) {
  std::vector<std::string> lines;
  collect_secrets(obj, "", false, lines);
  if (lines.empty()) return {};
  std::sort(lines.begin(), lines.end());
  std::string joined;
  for (const auto& l : lines) joined += l + "\n";
  return sha256_hex(joined, 16);
}

std::vector<std::string> split_projects(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string p = trim(s.substr(start, comma - start));
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    start = comma + 1;
  }
  return out;
}

std::string file_stem(std::string_view name) {
  std::size_t dot = name.rfind('.');
  return std::string(dot == std::string_view::npos ? name : name.substr(0, dot));
}

// The identity part of the id (see header).
std::string identity_of(const json& obj, const std::string& type, std::string_view file_name) {
  std::string email = string_field(obj, "email");
  std::string account_id = string_field(obj, "account_id");
  if (!email.empty()) {
    std::string id = sanitize_id_part(email);
    if (type == "codex" && !account_id.empty()) id += "-" + sha256_hex(account_id, 8);
    return id;
  }
  for (const char* key : {"sub", "device_id", "account_id", "user_id"}) {
    std::string v = string_field(obj, key);
    if (!v.empty()) return sha256_hex(v, 8);
  }
  if (type == "vertex" || type == "gemini") return {};  // project carries the identity
  return sanitize_id_part(file_stem(file_name));
}

AuthFileInfo skip(std::string reason, bool transient = false) {
  AuthFileInfo info;
  info.skip_reason = std::move(reason);
  info.transient = transient;
  return info;
}

}  // namespace

bool is_secret_key(std::string_view key) {
  std::string k = ascii_lower(key);
  if (k == "token_type" || k == "token_uri" || k == "token_endpoint" || k == "expires_in") return false;
  for (const char* word : {"token", "secret", "cookie", "api_key", "api-key", "apikey",
                           "private_key", "password", "service_account", "credential"})
    if (k.find(word) != std::string::npos) return true;
  return false;
}

std::string sanitize_id_part(std::string_view s) {
  std::string out;
  for (char raw : s) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '.' || c == '_' ||
                c == '+' || c == '-';
    if (!keep) c = '-';
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(c);
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 96) out.resize(96);
  return out;
}

AuthFileInfo parse_auth_file(std::string_view file_name, std::string_view bytes) {
  std::string_view body = bytes;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
  if (body.empty()) return skip("empty file (may be mid-write; retried next scan)", true);
  if (bytes.size() > kMaxAuthFileBytes) return skip("file larger than 1 MiB");
  if (json_too_deep(bytes)) return skip(json_depth_error());
  json obj = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) {
    if (body.front() == '{' || body.front() == '[')
      return skip("malformed or truncated JSON (may be mid-write; retried next scan)", true);
    return skip("not JSON");
  }
  if (!obj.is_object()) return skip("JSON is not an object");
  const json* type_v = field(obj, "type");
  if (!type_v) return skip("missing \"type\"");
  if (!type_v->is_string()) return skip("\"type\" is not a string");
  std::string type = ascii_lower(trim(type_v->get<std::string>()));
  if (type.empty()) return skip("empty \"type\"");

  AccountSpec base;
  base.provider = "cliproxy";
  base.type = type;
  base.email = string_field(obj, "email");
  base.prefix = prefix_of(obj);
  base.excluded_models = excluded_models_of(obj);
  if (const json* p = field(obj, "priority"))
    if (auto v = int_value(*p)) base.priority = *v;
  if (const json* d = field(obj, "disabled"))
    if (auto v = bool_value(*d)) base.enabled = !*v;
  base.origin = "cliproxy";
  base.file = std::string(file_name);
  base.fingerprint = fingerprint_of(obj);
  base.expires_at = expiry_of(obj);

  std::string type_part = sanitize_id_part(type);
  if (type_part.empty()) return skip("\"type\" has no usable characters");
  std::string identity = identity_of(obj, type, file_name);

  std::vector<std::string> projects;
  if (type == "gemini" || type == "vertex") projects = split_projects(string_field(obj, "project_id"));
  if (type == "vertex" && !projects.empty()) identity.clear();  // the project is the identity

  AuthFileInfo info;
  auto add = [&](const std::string& project) {
    DiscoveredAccount a;
    a.spec = base;
    a.project = project;
    a.id = type_part;
    if (!identity.empty()) a.id += "-" + identity;
    if (!project.empty()) a.id += "-" + sanitize_id_part(project);
    info.accounts.push_back(std::move(a));
  };
  if (projects.empty()) {
    if (identity.empty()) identity = sanitize_id_part(file_stem(file_name));
    add("");
  } else {
    for (const auto& p : projects) add(p);
  }
  return info;
}

}  // namespace qg::cliproxy
