// config/config_yaml.hpp — a Config written back as config.yaml text (exports, /qg_export).
//
// Every key is written, defaults included, so the output documents the effective values and
// loads back (load_config_text) into an equal Config when not redacted. With `redact`, each
// non-empty secret (api keys, admin/telegram tokens, cliproxy keys) is written as "***".
#pragma once

#include "config/config.hpp"

#include <string>

namespace qg {

std::string config_to_yaml(const Config& cfg, bool redact);

}  // namespace qg
