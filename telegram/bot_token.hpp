// telegram/bot_token.hpp — where the bot token comes from, and what a token looks like.
//
// Sources (INTERFACE §2 precedence: environment > the most recent of config file / runtime):
//   1. QUOTAGUARD_TELEGRAM_TOKEN (environment)
//   2. the token stored by /settoken or `quotaguard settoken` (settings table), as long as
//      config.yaml's telegram.token has not changed since it was stored (the stored row keeps
//      a fingerprint of the config value at that time: edit the file -> the file wins again)
//   3. telegram.token from config.yaml
// Tokens are secrets: this header never logs, and `token_fingerprint` is a non-reversible
// tag only good for "did it change". Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qg::telegram {

// "<digits>:<30..64 of [A-Za-z0-9_-]>" as issued by @BotFather.
bool looks_like_bot_token(std::string_view token);

// FNV-1a 64 of the text, as 16 hex digits ("" for an empty text).
std::string token_fingerprint(std::string_view text);

struct StoredToken {
  std::string token;
  std::string config_fingerprint;  // token_fingerprint(telegram.token) when it was stored
};

struct TokenChoice {
  std::string token;               // "" = none: the bot idles
  const char* source = "none";     // "environment" | "settings" | "config" | "none"
};

TokenChoice choose_token(std::string_view env_token, const std::optional<StoredToken>& stored,
                         std::string_view config_token);

}  // namespace qg::telegram
