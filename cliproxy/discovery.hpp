// cliproxy/discovery.hpp — scan a CLIProxyAPI auth folder and reconcile it with known accounts.
//
// `scan_auth_dir` reads the top-level entries of the auth folder (like CLIProxyAPI's own
// watcher: top-level `*.json` only, case-insensitive suffix) and compares what it finds with
// the accounts QuotaGuard already knows (id -> AccountSpec). It returns one result per file
// considered (status added|updated|unchanged|disabled|skipped, with a reason for skipped and
// disabled) and the events to write: AccountRegistered for a new id, AccountUpdated for a
// changed spec (a renamed file keeps its id, so it is an update, not remove+add), and
// AccountRemoved for a known CLIProxyAPI account of this folder whose file is gone.
//
// Folders: besides cliproxy.auth_dir (the *primary* folder) operators import others
// (quota/auth_folders.hpp). Every account found is stamped with the folder it came from
// (`AccountSpec::auth_dir`), and a scan removes only accounts of the folder it scanned —
// plus, for the primary folder, accounts of no live folder (logs from before folders were
// recorded, or a folder that is no longer configured), so nothing is left orphaned. An
// account already held by another live folder (the same auth file in two folders) is
// skipped, not moved back and forth.
//
// Robustness: a bad file (empty, truncated mid-write, non-JSON, no type, ...) is skipped with
// a reason and never stops the rest; accounts that came from a file that is unreadable this
// time are kept (retried next scan), not removed. A missing or unreadable folder is an error
// and removes nothing. `reconcile` is the pure core (entries already read), used by tests.
#pragma once

#include "messages/auth_folder_view.hpp"
#include "messages/event.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace qg::cliproxy {

enum class DiscoveryStatus { added, updated, unchanged, disabled, skipped };
const char* to_string(DiscoveryStatus s);

// One line of `setup` output. No secrets: only identity fields.
struct DiscoveryResult {
  std::string id;        // "" for a skipped file
  std::string provider;  // "cliproxy" ("" for a skipped file)
  std::string type;      // auth type from the file (codex, claude, gemini, kimi, ...)
  std::string email;
  std::string file;      // file name inside the auth folder
  DiscoveryStatus status = DiscoveryStatus::skipped;
  std::string reason;    // set for skipped and disabled
  bool operator==(const DiscoveryResult&) const = default;
};

struct DiscoveryOutcome {
  std::string dir;                        // the folder scanned
  std::string error;                      // non-empty: folder missing/unreadable; nothing done
  std::vector<DiscoveryResult> results;   // one per file considered (per project for Gemini)
  std::vector<Event> events;              // to append, in order (seq 0, ts = now)
  std::vector<std::string> removed;       // ids whose file is gone (AccountRemoved written)
  std::map<std::string, AccountSpec> accounts;  // every account found in the folder, by id
  std::size_t count(DiscoveryStatus s) const;
};

// A top-level entry of the auth folder, already read.
struct DirEntry {
  enum class Kind { file, directory, other };
  std::string name;
  Kind kind = Kind::file;
  std::string bytes;        // contents (files whose name ends in .json, case-insensitively)
  std::string read_error;   // non-empty when the file could not be read
  bool oversized = false;   // larger than kMaxAuthFileBytes (not read)
};

struct ScanOptions {
  std::string base_url;     // written into every AccountSpec (cliproxy.base_url); may be ""
  std::string folder;       // folder_key of the folder scanned, written into AccountSpec::auth_dir
  bool primary = true;      // the configured cliproxy.auth_dir (claims accounts of no live folder)
  std::set<std::string> other_folders;  // folder_keys of the other live folders
};

// The key a folder is known by: absolute (against the current directory), `~` expanded by the
// caller, lexically normalised, no trailing '/'.
std::string folder_key(const std::string& path);

// Whether a scan with `options` answers for `spec`: a CLIProxyAPI account of this folder, or,
// for the primary folder, of no live folder.
bool folder_owns(const AccountSpec& spec, const ScanOptions& options);

// AccountRemoved for every live CLIProxyAPI account of `folder` (forgetting it), in id order.
std::vector<Event> forget_folder_events(const std::string& folder,
                                        const std::map<std::string, AccountSpec>& known, TimeMs now);

// Pure reconciliation of `entries` against `known` (id -> spec; only specs with origin
// "cliproxy" that this folder owns can be removed). Results follow the entries' name order.
DiscoveryOutcome reconcile(std::vector<DirEntry> entries,
                           const std::map<std::string, AccountSpec>& known, TimeMs now,
                           const ScanOptions& options = {});

// Reads the folder and reconciles it. Never throws.
DiscoveryOutcome scan_auth_dir(const std::filesystem::path& dir,
                               const std::map<std::string, AccountSpec>& known, TimeMs now,
                               const ScanOptions& options = {});

// The scan's files as the import verb answers them (messages/auth_folder_view.hpp).
std::vector<DiscoveredFile> discovered_files(const std::vector<DiscoveryResult>& results);
// `setup --json` shape: [{"id","provider","type","email","file","status","reason"}, ...]
std::string results_to_json(const std::vector<DiscoveryResult>& results);

}  // namespace qg::cliproxy
