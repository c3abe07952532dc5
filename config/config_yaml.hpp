// config/config_yaml.hpp — a Config written back as config.yaml text (exports, /qg_export).
//
// Every key is written, defaults included, so the output documents the effective values and
// loads back (load_config_text) into an equal Config when not redacted. With `redact` (what
// /qg_export and GET /api/v1/export send), each non-empty secret is written as a ${VAR}
// reference instead, so the export is a config that loads once those variables are set:
//   server.api_keys[i]      QUOTAGUARD_CLIENT_KEY_<i+1>     server.admin_token  QUOTAGUARD_ADMIN_TOKEN
//   accounts[].api_key      <ID>_API_KEY (account_key_variable)
//   cliproxy.api_key        CLIPROXY_API_KEY                cliproxy.management_key  CLIPROXY_MANAGEMENT_KEY
//   telegram.token          QUOTAGUARD_TELEGRAM_TOKEN       telegram.webhook_secret  QUOTAGUARD_TELEGRAM_WEBHOOK_SECRET
// A comment at the top of a redacted export lists the variables it needs.
#pragma once

#include "config/config.hpp"

#include <string>

namespace qg {

std::string config_to_yaml(const Config& cfg, bool redact);

// The variable a redacted export names for an account's api_key: the id upper-cased, every
// other character '_', plus "_API_KEY" ("openai-main" -> OPENAI_MAIN_API_KEY).
std::string account_key_variable(const std::string& account_id);

}  // namespace qg
