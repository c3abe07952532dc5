// cliproxy/auth_file.hpp — read one CLIProxyAPI auth file into QuotaGuard accounts.
//
// A CLIProxyAPI auth file (`<auth-dir>/*.json`) holds one provider login: a `type`, usually
// an `email`, OAuth tokens and operator fields (disabled, prefix, priority, excluded_models).
// `parse_auth_file` turns its bytes into the AccountSpecs QuotaGuard tracks, or a skip reason.
//
// Rules (docs/CLIPROXY.md has the full table):
//  - `type` is required (non-empty string); the type list is open: unknown types become
//    generic CLIProxyAPI accounts. `email` is optional (kimi files have none).
//  - The account id comes from the JSON, never from the file name (users rename files):
//    `<type>-<identity>[-<project>]`, identity = email, else sub / device_id / account_id
//    (hashed), else — only when the JSON has no identity field at all — the file stem.
//    Codex adds the first 8 hex of sha256(account_id) (team seats share an e-mail; the same
//    hash CLIProxyAPI puts in team file names). Gemini and Vertex add the project; a Gemini
//    `project_id` comma list gives one account per project.
//  - Legacy dash-case keys (`excluded-models`) and string numbers ("priority": "5") work.
//  - Token fields are never copied: only `fingerprint` (first 16 hex of a sha256 over them),
//    so a token rotation changes the fingerprint and shows as an update.
// Pure: no I/O, no clock.
#pragma once

#include "messages/digest.hpp"
#include "messages/event.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qg::cliproxy {

// One account read from a file (a multi-project Gemini file yields several).
struct DiscoveredAccount {
  std::string id;       // QuotaGuard account id, e.g. "claude-dave@example.com"
  AccountSpec spec;     // provider "cliproxy", origin "cliproxy", no secrets
  std::string project;  // Gemini/Vertex project, else ""
};

// The outcome of reading one file: accounts, or a non-empty `skip_reason`.
struct AuthFileInfo {
  std::vector<DiscoveredAccount> accounts;
  std::string skip_reason;  // "" when the file was read
  bool transient = false;   // the reason may go away by itself (file being rewritten)
  bool skipped() const { return !skip_reason.empty(); }
};

// Largest auth file read; larger files are skipped (real ones are a few KiB).
inline constexpr std::size_t kMaxAuthFileBytes = 1 << 20;

// Parse `bytes` of the top-level file `file_name` (name only, used for AccountSpec::file and
// as the last-resort identity).
AuthFileInfo parse_auth_file(std::string_view file_name, std::string_view bytes);

// Lower-case, keep [a-z0-9@._+-], map anything else to '-', collapse repeats, trim '-',
// cap at 96 characters. Used for every id part.
std::string sanitize_id_part(std::string_view s);

using qg::sha256_hex;  // messages/digest.hpp

// Does this JSON key name a secret (token, secret, cookie, api key, private key, password,
// service account)? Used to build fingerprints and by tests that grep output for secrets.
bool is_secret_key(std::string_view key);

}  // namespace qg::cliproxy
