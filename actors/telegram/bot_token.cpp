// actors/telegram/bot_token.cpp — token shape check and source precedence.
#include "actors/telegram/bot_token.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace qg::telegram {

bool looks_like_bot_token(std::string_view token) {
  const auto colon = token.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 20) return false;
  for (std::size_t i = 0; i < colon; ++i)
    if (!std::isdigit(static_cast<unsigned char>(token[i]))) return false;
  const std::string_view secret = token.substr(colon + 1);
  if (secret.size() < 30 || secret.size() > 64) return false;
  for (char c : secret)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::string token_fingerprint(std::string_view text) {
  if (text.empty()) return "";
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

TokenChoice choose_token(std::string_view env_token, const std::optional<StoredToken>& stored,
                         std::string_view config_token) {
  if (!env_token.empty()) return {std::string(env_token), "environment"};
  if (stored && !stored->token.empty() &&
      (config_token.empty() || stored->config_fingerprint == token_fingerprint(config_token)))
    return {stored->token, "settings"};
  if (!config_token.empty()) return {std::string(config_token), "config"};
  return {"", "none"};
}

}  // namespace qg::telegram
