// config/config_reader.hpp — typed reads from a yaml-cpp tree with one-line errors.
//
// Internal to config/ (used by config_parse.cpp). Every read names the key path it reads so
// a bad value becomes `FILE: key.path: VALUE is not ...`; `${VAR}` in scalars is expanded
// from the injected environment; keys never read are reported as unknown, with the nearest
// known key suggested. Secret values are never echoed in errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// Environment lookup: the value of a variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Thrown with the complete one-line message; caught by the loader.
// A config error: one line (control characters from the file are shown as \xNN).
struct ConfigError : std::runtime_error {
  explicit ConfigError(const std::string& message);
};

// `${VAR}` and `${VAR:-default}` replaced from `env`; `$${` is a literal `${`. Throws
// ConfigError(`<where>: ${VAR} is not set in the environment`) for an undefined variable.
std::string expand_env(std::string_view text, const EnvLookup& env, std::string_view where);

// Levenshtein distance on lower-cased text with '-' read as '_'.
std::size_t key_distance(std::string_view a, std::string_view b);

struct ParseContext {
  std::string file;              // label used in messages, e.g. "config.yaml"
  EnvLookup env;
  std::vector<std::string> known_paths;  // generic paths seen ("accounts[].id"), for hints
  struct Unknown {
    std::string path;            // full path of the unknown key
    std::string parent;          // its map's path ("" at the top)
    std::string key;
    std::vector<std::string> siblings;  // known keys of that map
  };
  std::vector<Unknown> unknown;

  [[noreturn]] void fail(std::string_view path, std::string_view message) const;
  // Throws for the first unknown key collected, with a suggestion when one is close.
  void report_unknown() const;
};

// Reads the keys of one YAML mapping. Absent or null nodes read as an empty mapping.
class MapReader {
 public:
  MapReader(ParseContext& ctx, const YAML::Node& node, std::string path,
            std::string generic_path);
  // The value under `key` (an undefined node when absent); marks the key as known.
  YAML::Node take(std::string_view key);
  // Like take, for a key that must be present: when absent, fails with `missing <hint>`, or
  // with the unknown-key error of a present key that looks like a misspelling of it.
  YAML::Node require(std::string_view key, std::string_view hint);
  std::string path_of(std::string_view key) const;
  std::string generic_path_of(std::string_view key) const;
  // Records every key of the mapping that was never taken (see ParseContext::report_unknown).
  void finish();

 private:
  ParseContext& ctx_;
  YAML::Node node_;
  std::string path_;
  std::string generic_path_;
  std::vector<std::string> taken_;
};

// Scalar reads: `present(node)` is false for absent and null nodes (keep the default).
bool present(const YAML::Node& node);
std::string read_string(ParseContext& ctx, const YAML::Node& node, const std::string& path);
// Like read_string, but an error never shows the value.
std::string read_secret(ParseContext& ctx, const YAML::Node& node, const std::string& path);
std::int64_t read_int(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                      std::int64_t min, std::int64_t max);
double read_percent(ParseContext& ctx, const YAML::Node& node, const std::string& path);
bool read_bool(ParseContext& ctx, const YAML::Node& node, const std::string& path);
// A duration; with `positive` zero is refused too.
std::chrono::milliseconds read_duration(ParseContext& ctx, const YAML::Node& node,
                                        const std::string& path, bool positive = true);
std::vector<std::string> read_string_list(ParseContext& ctx, const YAML::Node& node,
                                          const std::string& path, bool secret = false);

// An enum value through `parse`; the error lists `choices` ("a|b|c").
template <typename E, typename Parse>
E read_enum(ParseContext& ctx, const YAML::Node& node, const std::string& path, Parse parse,
            std::string_view choices) {
  std::string text = read_string(ctx, node, path);
  if (auto v = parse(text)) return *v;
  ctx.fail(path, (text.empty() ? std::string("\"\"") : text) + " is not one of " +
                     std::string(choices));
}

// Why `yaml` is nested too deeply for yaml-cpp's recursive parser ("" when it is not): every
// YAML text is checked with it before parsing (config.yaml, the simulate limits file).
std::string yaml_nesting_error(std::string_view yaml, std::string_view label);
// The tree of `yaml` (`label` names it in errors): nesting bounded as above, a syntax error as a
// ConfigError "label: line L, column C: malformed YAML (...)".
YAML::Node load_yaml_tree(std::string_view yaml, std::string_view label);

// Applies `each(index, item_node, item_path)` to every item of a sequence (absent = none).
void for_each_item(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                   const std::function<void(std::size_t, const YAML::Node&,
                                            const std::string&)>& each);

}  // namespace qg
