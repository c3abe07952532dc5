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
//   cliproxy  every dialect, whatever the auth type (CLIProxyAPI routes by model, never by
//             route, and translates the request into the chosen executor's format; every
//             executor it ships has a translator from each entry format: claude, codex and xai
//             (codex format), gemini/gemini-cli, vertex, aistudio, antigravity, and kimi, qwen,
//             iflow, openai-compatibility (openai format) — docs/CLIPROXY.md "Dialects")
//   other     chat
// Stored responses (previous_response_id, GET|DELETE /v1/responses/{id}, /cancel, /input_items)
// are a separate capability: only `openai` keeps them (keeps_responses).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// "chat, responses": the dialects of a set, in enum order ("none" when empty).
std::string dialect_names(DialectSet set);

// Whether an account of `provider` keeps the responses it creates, so previous_response_id
// and the /v1/responses/{id} routes can reach them there. OpenAI does. CLIProxyAPI does not,
// for any auth type: it serves only POST /v1/responses (no {id} routes), its codex and xai
// executors force `store: false` and delete `previous_response_id`, and the other executors
// translate the request's input only — a continued conversation would silently lose its past.
bool keeps_responses(std::string_view provider);

}  // namespace qg
