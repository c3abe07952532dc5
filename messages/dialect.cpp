// messages/dialect.cpp — see dialect.hpp.
#include "messages/dialect.hpp"

namespace qg {

const char* to_string(Dialect d) {
  switch (d) {
    case Dialect::chat: return "chat";
    case Dialect::messages: return "messages";
    case Dialect::responses: return "responses";
    case Dialect::gemini: return "gemini";
  }
  return "chat";
}

std::optional<Dialect> parse_dialect(std::string_view name) {
  for (Dialect d : {Dialect::chat, Dialect::messages, Dialect::responses, Dialect::gemini})
    if (name == to_string(d)) return d;
  return std::nullopt;
}

DialectSet dialects_served(std::string_view provider, std::string_view /*type*/) {
  // CLIProxyAPI serves /v1/messages, /v1/responses and /v1beta for every auth type: it picks
  // the executor by model and translates (internal/translator/<executor>/<entry> exists for
  // every executor and entry format), so the account's model list alone decides. An auth type
  // QuotaGuard does not know (a fork's, a plugin's) is routed by CLIProxyAPI the same way.
  if (provider == "cliproxy") return kAllDialects;
  if (provider == "openai") return dialect_bit(Dialect::chat) | dialect_bit(Dialect::responses);
  if (provider == "anthropic") return dialect_bit(Dialect::chat) | dialect_bit(Dialect::messages);
  if (provider == "gemini") return dialect_bit(Dialect::gemini);
  return dialect_bit(Dialect::chat);
}

std::string dialect_names(DialectSet set) {
  std::string out;
  for (Dialect d : {Dialect::chat, Dialect::messages, Dialect::responses, Dialect::gemini})
    if (set & dialect_bit(d)) out += std::string(out.empty() ? "" : ", ") + to_string(d);
  return out.empty() ? "none" : out;
}

bool keeps_responses(std::string_view provider) { return provider == "openai"; }

}  // namespace qg
