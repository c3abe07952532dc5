// config/config_parse.hpp — YAML tree to Config, key by key (internal to config/).
//
// Reads every key of INTERFACE §3 plus the extensions documented in config/example.yaml,
// starting from the built-in defaults; validates each value and the cross-key rules
// (warning < switch < critical, unique account ids). Throws ConfigError with one line.
#pragma once

#include "config/config.hpp"
#include "config/config_reader.hpp"

namespace qg {

Config parse_config_tree(ParseContext& ctx, const YAML::Node& root);

// One `limits[]` item ({metric, window, limit}) at `path`; `generic` is its path pattern.
LimitSpec parse_limit(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                      const std::string& generic);

// The base_url an account of `provider` gets when it names none.
std::string default_base_url(const std::string& provider, const CliproxyConfig& cliproxy);

}  // namespace qg
