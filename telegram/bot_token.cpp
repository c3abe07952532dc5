// telegram/bot_token.cpp — token shape check and source precedence.
#include "telegram/bot_token.hpp"
#include "messages/digest.hpp"

#include <cctype>
#include <cstdint>

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
  return text.empty() ? std::string() : fnv1a64_hex(text);
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
