// messages/dialect.hpp — the client-facing API dialects QuotaGuard proxies, and which
// accounts can serve each.
//
// A dialect is the wire format of a request and its reply; QuotaGuard passes each through in
// its own format (no translation). `chat` is the OpenAI family QuotaGuard started with
// (/v1/chat/completions, /v1/completions, /v1/embeddings); `messages` is Anthropic Messages
// (/v1/messages), `responses` OpenAI Responses (/v1/responses), `gemini` Google's
// generateContent (/v1beta/models/{model}:...).
//
// Which dialects an account serves follows from its provider (one rule, here):
//   openai    chat, responses            (OpenAI API keys)
//   anthropic chat, messages             (Anthropic's API; chat = its OpenAI-compatible route)
//   gemini    gemini                     (Gemini API keys: {base_url}/models/{model}:...)
//   cliproxy  every dialect              (CLIProxyAPI routes by model and translates between
//                                         formats for every auth type it knows: codex, claude,
//                                         gemini, vertex, aistudio, antigravity, kimi, qwen,
//                                         iflow, openai-compatibility — docs/AGENTS.md)
//   other     chat
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qg {

enum class Dialect : std::uint8_t { chat, messages, responses, gemini };

const char* to_string(Dialect d);
std::optional<Dialect> parse_dialect(std::string_view name);  // "chat" | "messages" | ...

// Bit set of dialects (bit i = Dialect i).
using DialectSet = std::uint8_t;
constexpr DialectSet dialect_bit(Dialect d) { return static_cast<DialectSet>(1u << static_cast<unsigned>(d)); }
constexpr DialectSet kAllDialects = 0x0F;

// The dialects an account of `provider` (CLIProxyAPI auth `type` for cliproxy) serves.
DialectSet dialects_served(std::string_view provider, std::string_view type);

}  // namespace qg
