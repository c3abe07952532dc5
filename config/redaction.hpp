// config/redaction.hpp — a process-wide registry of secrets and a scrubber for any text.
//
// Every secret the process learns (config api keys and tokens, tokens set at run time,
// CLIProxyAPI credentials) is registered here once; redact() replaces each registered secret
// in a text with "***". The log sink installed by config/logging.hpp runs every log line
// through redact(), so a secret can never reach the log. Thread-safe. Std only.
#pragma once

#include <string>
#include <string_view>

namespace qg {

// Secrets shorter than this are not registered: scrubbing them would mangle ordinary text.
// (Config validation does not enforce a length; 4 characters is no real secret anyway.)
inline constexpr std::size_t kMinSecretLength = 4;

// Adds `secret` to the registry (no-op when shorter than kMinSecretLength or known).
void register_secret(std::string secret);

// `text` with every registered secret replaced by "***" (longest secrets first).
std::string redact(std::string_view text);

// True when `text` holds any registered secret (cheap check for tests and assertions).
bool contains_secret(std::string_view text);

// Forgets every registered secret (tests only).
void clear_secrets_for_testing();

}  // namespace qg
