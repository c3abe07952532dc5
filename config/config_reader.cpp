// config/config_reader.cpp — see config_reader.hpp.
#include "config/config_reader.hpp"

#include "messages/duration.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace qg {
namespace {

std::string shown(std::string_view value) {
  if (value.empty()) return "\"\"";
  return std::string(value);
}

const char* kind_of(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "a value";
}

// The scalar text of `node`, after ${VAR} expansion; fails for lists and mappings.
std::string scalar(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                   std::string_view expected) {
  if (!node.IsScalar())
    ctx.fail(path, std::string("expected ") + std::string(expected) + ", got " + kind_of(node));
  return expand_env(node.Scalar(), ctx.env, ctx.file + ": " + path);
}

std::size_t max_hint_distance(std::size_t len) {
  if (len <= 3) return 1;
  if (len <= 8) return 2;
  return 3;
}

}  // namespace

std::string expand_env(std::string_view text, const EnvLookup& env, std::string_view where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 2;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      throw ConfigError(std::string(where) + ": unterminated ${ in value");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    if (auto dash = inner.find(":-"); dash != std::string_view::npos) {
      fallback = std::string(inner.substr(dash + 2));
      inner = inner.substr(0, dash);
    }
    std::string name(inner);
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                 });
    if (!valid) throw ConfigError(std::string(where) + ": ${" + name + "} is not a variable name");
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (!value && fallback) value = fallback;
    if (!value)
      throw ConfigError(std::string(where) + ": ${" + name + "} is not set in the environment");
    out += *value;
    i = close;
  }
  return out;
}

std::size_t key_distance(std::string_view a, std::string_view b) {
  auto norm = [](char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t subst = prev[j - 1] + (norm(a[i - 1]) == norm(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {
// Config errors are one line: a control character from the file (CR, LF, NUL in a value)
// is shown as \xNN instead of breaking or truncating the line.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

ConfigError::ConfigError(const std::string& message) : std::runtime_error(one_line(message)) {}

void ParseContext::fail(std::string_view path, std::string_view message) const {
  throw ConfigError(file + ": " + std::string(path) + ": " + std::string(message));
}

void ParseContext::report_unknown() const {
  if (unknown.empty()) return;
  const Unknown& u = unknown.front();
  std::string hint;
  std::size_t best = max_hint_distance(u.key.size()) + 1;
  for (const auto& sibling : u.siblings) {
    std::size_t d = key_distance(u.key, sibling);
    if (d < best) {
      best = d;
      hint = u.parent.empty() ? sibling : u.parent + "." + sibling;
    }
  }
  if (hint.empty()) {  // maybe the key belongs to another section
    for (const auto& known : known_paths) {
      auto dot = known.rfind('.');
      std::string_view last = dot == std::string::npos ? std::string_view(known)
                                                       : std::string_view(known).substr(dot + 1);
      if (key_distance(last, u.key) == 0) {
        hint = known;
        break;
      }
    }
  }
  std::string message = "unknown key";
  if (!hint.empty()) message += " (did you mean " + hint + "?)";
  fail(u.path, message);
}

MapReader::MapReader(ParseContext& ctx, const YAML::Node& node, std::string path,
                     std::string generic_path)
    : ctx_(ctx), node_(node), path_(std::move(path)), generic_path_(std::move(generic_path)) {
  if (!present(node_)) return;
  if (!node_.IsMap()) {
    if (path_.empty()) throw ConfigError(ctx_.file + ": expected a mapping of sections");
    ctx_.fail(path_, std::string("expected a mapping, got ") + kind_of(node_));
  }
  std::vector<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) ctx_.fail(path_.empty() ? "(top)" : path_, "keys must be names");
    const std::string& key = kv.first.Scalar();
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      ctx_.fail(path_of(key), "duplicate key");
    seen.push_back(key);
  }
}

std::string MapReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string MapReader::generic_path_of(std::string_view key) const {
  return generic_path_.empty() ? std::string(key) : generic_path_ + "." + std::string(key);
}

YAML::Node MapReader::take(std::string_view key) {
  taken_.emplace_back(key);
  std::string generic = generic_path_of(key);
  if (std::find(ctx_.known_paths.begin(), ctx_.known_paths.end(), generic) ==
      ctx_.known_paths.end())
    ctx_.known_paths.push_back(generic);
  if (!present(node_)) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_)
    if (kv.first.Scalar() == key) return kv.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MapReader::require(std::string_view key, std::string_view hint) {
  YAML::Node node = take(key);
  if (present(node)) return node;
  if (present(node_))
    for (const auto& kv : node_) {
      const std::string& other = kv.first.Scalar();
      if (other != key && key_distance(other, key) <= max_hint_distance(key.size()))
        ctx_.fail(path_of(other), "unknown key (did you mean " + path_of(key) + "?)");
    }
  ctx_.fail(path_of(key), hint.empty() ? std::string("missing") : "missing " + std::string(hint));
}

void MapReader::finish() {
  if (!present(node_)) return;
  for (const auto& kv : node_) {
    const std::string& key = kv.first.Scalar();
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end())
      ctx_.unknown.push_back({path_of(key), path_, key, taken_});
  }
}

bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

std::string read_string(ParseContext& ctx, const YAML::Node& node, const std::string& path) {
  return scalar(ctx, node, path, "a string");
}

std::string read_secret(ParseContext& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) ctx.fail(path, std::string("expected a string, got ") + kind_of(node));
  return expand_env(node.Scalar(), ctx.env, ctx.file + ": " + path);
}

std::int64_t read_int(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                      std::int64_t min, std::int64_t max) {
  std::string text = scalar(ctx, node, path, "an integer");
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    ctx.fail(path, shown(text) + " is not an integer");
  if (value < min) ctx.fail(path, text + " is below the minimum " + std::to_string(min));
  if (value > max) ctx.fail(path, text + " is above the maximum " + std::to_string(max));
  return value;
}

double read_percent(ParseContext& ctx, const YAML::Node& node, const std::string& path) {
  std::string text = scalar(ctx, node, path, "a percentage");
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0 || value > 100)
    ctx.fail(path, shown(text) + " is not a percentage (0..100)");
  return value;
}

bool read_bool(ParseContext& ctx, const YAML::Node& node, const std::string& path) {
  std::string text = scalar(ctx, node, path, "true or false");
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  ctx.fail(path, shown(text) + " is not true or false");
}

std::chrono::milliseconds read_duration(ParseContext& ctx, const YAML::Node& node,
                                        const std::string& path, bool positive) {
  std::string text = scalar(ctx, node, path, "a duration");
  auto value = parse_duration(text);
  if (!value)
    ctx.fail(path, shown(text) + " is not a duration (Go syntax, e.g. 1.5s, 500ms, 1h30m, 7d)");
  if (value->count() < 0) ctx.fail(path, text + " must not be negative");
  if (positive && value->count() <= 0) ctx.fail(path, text + " must be longer than 0");
  return *value;
}

std::vector<std::string> read_string_list(ParseContext& ctx, const YAML::Node& node,
                                          const std::string& path, bool secret) {
  std::vector<std::string> out;
  for_each_item(ctx, node, path, [&](std::size_t, const YAML::Node& item, const std::string& p) {
    out.push_back(secret ? read_secret(ctx, item, p) : read_string(ctx, item, p));
  });
  return out;
}

void for_each_item(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                   const std::function<void(std::size_t, const YAML::Node&,
                                            const std::string&)>& each) {
  if (!present(node)) return;
  if (!node.IsSequence()) ctx.fail(path, std::string("expected a list, got ") + kind_of(node));
  for (std::size_t i = 0; i < node.size(); ++i)
    each(i, node[i], path + "[" + std::to_string(i) + "]");
}

}  // namespace qg
