// config/limits_file.cpp — see limits_file.hpp.
#include "config/limits_file.hpp"

#include "config/config_parse.hpp"
#include "config/config_reader.hpp"

#include <yaml-cpp/yaml.h>

namespace qg {

LimitsFile parse_limits_file(std::string_view yaml, std::string_view label) {
  LimitsFile out;
  try {
    const YAML::Node root = load_yaml_tree(yaml, label);
    ParseContext ctx{std::string(label), {}, {}, {}};
    if (!root.IsMap()) ctx.fail("", "must map account ids to lists of {metric, window, limit}");
    for (const auto& entry : root) {
      const std::string id = entry.first.Scalar();
      auto& limits = out.limits[id];
      for_each_item(ctx, entry.second, id, [&](std::size_t, const YAML::Node& item, const std::string& path) {
        limits.push_back(parse_limit(ctx, item, path, "<account>[]"));
      });
    }
  } catch (const ConfigError& e) {
    out.limits.clear();
    out.error = e.what();
  } catch (const YAML::Exception& e) {
    out.limits.clear();
    out.error = std::string(label) + ": " + e.what();
  }
  return out;
}

}  // namespace qg
