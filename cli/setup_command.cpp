// cli/setup_command.cpp — `quotaguard setup [AUTH_DIR] [--json] [--dry-run] [--assign-prefixes]`.
//
// Discovers CLIProxyAPI accounts in the auth folder (AUTH_DIR > $QUOTAGUARD_CLIPROXY_AUTH_PATH >
// cliproxy.auth_dir > ~/.cli-proxy-api) and records them:
//   1. --assign-prefixes: auth files without a `prefix` get one through the management API
//      (PATCH /v0/management/auth-files/fields; needs cliproxy.management_key). A 401 stops at
//      once (CLIProxyAPI bans an IP after 5 failures). Without a key the accounts are listed
//      as unpinned.
//   2. Unless --dry-run: hand the folder to a running daemon (POST /api/v1/import on
//      server.listen, admin token if set); if none answers, write the events into the DB
//      (`record_in_database`). A daemon that answers with an error is reported, not bypassed.
//      A folder other than the configured cliproxy.auth_dir is recorded as imported
//      (AuthFolderImported): the daemon watches and rescans it until `quotaguard forget`.
//   3. Print one line per file (or, with --json, the INTERFACE §1 array). Secrets never appear:
//      discovery keeps only identity fields and a fingerprint.
// Exit: 0 ok; 1 the daemon refused or the management API rejected the key; 2 usage/config
// error (bad config, auth folder missing or unreadable, --assign-prefixes without a key).
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "cli/daemon_query.hpp"
#include "cliproxy/discovery.hpp"
#include "cliproxy/management_client.hpp"
#include "cliproxy/prefix_assignment.hpp"
#include "config/config.hpp"
#include "config/redaction.hpp"
#include "messages/wall_clock.hpp"
#include "persistence/event_log.hpp"
#include "persistence/recovery.hpp"
#include "quota/system_state.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace {

using namespace qg::cliproxy;

struct SetupFlags {
  qg::LoadOptions load;
  std::string auth_dir;
  bool json = false;
  bool dry_run = false;
  bool assign_prefixes = false;
};

// What the log knows: accounts (not removed), id -> spec, and the imported folders.
struct Known {
  std::map<std::string, qg::AccountSpec> accounts;
  qg::AuthFolders folders;
};

Known known_in(qg::EventLog& log) {
  Known known;
  qg::RecoveredState recovered = qg::recover(log);
  for (const auto& [id, account] : recovered.state.accounts)
    if (!account.removed) known.accounts[id] = account.spec;
  known.folders = recovered.state.auth_folders;
  return known;
}

// Empty when there is no DB yet.
Known known_read_only(const qg::StorageConfig& storage) {
  if (!qg::event_log_exists(storage)) return {};
  auto log = qg::open_event_log(storage, qg::OpenMode::read_only);
  return known_in(*log);
}

// How `dir` is scanned: the configured folder is primary, the others answer for their own.
ScanOptions scan_options(const qg::Config& cfg, const std::string& dir, const std::string& configured,
                         const qg::AuthFolders& folders) {
  ScanOptions o{cfg.cliproxy.base_url, dir, dir == configured, {}};
  if (dir != configured) o.other_folders.insert(configured);
  for (const auto& [path, _] : folders.imported)
    if (path != dir) o.other_folders.insert(path);
  return o;
}

// Writes the discovery of `dir` into the configured event log, SQLite or PostgreSQL (a folder
// other than the configured one is recorded as imported first); returns the outcome. Used when no daemon
// answers (the daemon owns the log while it runs).
DiscoveryOutcome record_in_database(const qg::Config& cfg, const std::string& dir, const std::string& configured) {
  auto log = qg::open_event_log(cfg.storage, qg::OpenMode::read_write);
  Known known = known_in(*log);
  const qg::TimeMs now = qg::system_clock_ms();
  DiscoveryOutcome out = scan_auth_dir(dir, known.accounts, now, scan_options(cfg, dir, configured, known.folders));
  if (!out.error.empty()) return out;
  std::vector<qg::Event> events;
  if (dir != configured && !known.folders.imported.count(dir))
    events.push_back(qg::Event{0, now, "", qg::AuthFolderImported{dir, "cli"}});
  events.insert(events.end(), out.events.begin(), out.events.end());
  if (!events.empty()) log->append(events);
  return out;
}

enum class Handoff { none, ok, refused };

// The daemon's per-file objects (same shape as `setup --json`) back into results.
std::vector<DiscoveryResult> results_from_json(const nlohmann::json& array) {
  std::vector<DiscoveryResult> out;
  for (const auto& r : array) {
    if (!r.is_object()) continue;
    auto text = [&](const char* key) {
      return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : std::string();
    };
    DiscoveryResult d{text("id"), text("provider"), text("type"), text("email"), text("file"),
                      DiscoveryStatus::skipped, text("reason")};
    for (auto s : {DiscoveryStatus::added, DiscoveryStatus::updated, DiscoveryStatus::unchanged,
                   DiscoveryStatus::disabled, DiscoveryStatus::skipped})
      if (text("status") == to_string(s)) d.status = s;
    out.push_back(std::move(d));
  }
  return out;
}

// POST /api/v1/import on the configured listen address (`dir` "" = the daemon's own
// cliproxy.auth_dir). `results` gets the per-file array the daemon returns ("files", or
// "results"/"accounts" as older daemons name it).
Handoff hand_to_daemon(const qg::Config& cfg, const std::string& dir, nlohmann::json& results, std::string& error) {
  auto answer = qg::cli::post_to_daemon(cfg, "/api/v1/import", nlohmann::json{{"path", dir}}, error);
  if (!answer) return error.empty() ? Handoff::none : Handoff::refused;
  for (const char* key : {"files", "results", "accounts"})
    if (answer->body.contains(key) && answer->body[key].is_array()) {
      results = answer->body[key];
      break;
    }
  return Handoff::ok;
}

void print_text(const std::vector<DiscoveryResult>& results, const DiscoveryOutcome& out,
                const std::string& dir, bool dry_run) {
  std::printf("CLIProxyAPI auth folder: %s\n", dir.c_str());
  for (const auto& r : results) {
    std::string who = r.id.empty() ? r.file : r.id + "  (" + r.file + ")";
    std::printf("  %-9s %s%s%s\n", to_string(r.status), who.c_str(), r.reason.empty() ? "" : ": ",
                r.reason.c_str());
  }
  for (const auto& id : out.removed) std::printf("  %-9s %s: auth file gone\n", "removed", id.c_str());
  std::printf("%zu added, %zu updated, %zu unchanged, %zu disabled, %zu skipped, %zu removed%s\n",
              out.count(DiscoveryStatus::added), out.count(DiscoveryStatus::updated),
              out.count(DiscoveryStatus::unchanged), out.count(DiscoveryStatus::disabled),
              out.count(DiscoveryStatus::skipped), out.removed.size(), dry_run ? " (dry run: nothing recorded)" : "");
  auto unpinned = unpinned_accounts(out.accounts);
  if (!unpinned.empty()) {
    std::printf("unpinned (no prefix; routed as one pooled CLIProxyAPI account):");
    for (const auto& id : unpinned) std::printf(" %s", id.c_str());
    std::printf("\n  pin them with `quotaguard setup --assign-prefixes` (needs cliproxy.management_key)\n");
  }
}

// Sets prefixes through the management API; returns false (after printing why) on failure.
bool assign_prefixes(const qg::Config& cfg, const std::string& dir, bool dry_run, bool json) {
  DiscoveryOutcome found = scan_auth_dir(dir, {}, qg::system_clock_ms());
  if (!found.error.empty()) return true;  // reported by the main scan
  auto plan = plan_prefixes(found.accounts);
  FILE* info = json ? stderr : stdout;
  if (plan.empty()) {
    std::fprintf(info, "every account already has a prefix\n");
    return true;
  }
  std::unique_ptr<ManagementClient> client;
  if (!dry_run) client = std::make_unique<ManagementClient>(cfg.cliproxy.base_url, cfg.cliproxy.management_key);
  for (const auto& a : plan) {
    if (dry_run) {
      std::fprintf(info, "would set prefix %s on %s\n", a.prefix.c_str(), a.file.c_str());
      continue;
    }
    auto r = client->set_prefix(a.file, a.prefix);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", qg::redact(r.error.message).c_str());
      if (r.error.kind == ManagementErrorKind::unauthorized || r.error.kind == ManagementErrorKind::banned ||
          r.error.kind == ManagementErrorKind::disabled || r.error.kind == ManagementErrorKind::unreachable)
        return false;  // stop: no point (and, for 401, danger) in trying the next file
      continue;
    }
    std::fprintf(info, "prefix %s set on %s (model \"%s/<model>\")\n", a.prefix.c_str(), a.file.c_str(), a.prefix.c_str());
  }
  return true;
}

void run_setup(const SetupFlags& flags) {
  qg::LoadOptions load = flags.load;
  if (!flags.auth_dir.empty()) load.auth_dir = flags.auth_dir;
  qg::LoadResult loaded = qg::cli::load_config_or_exit(load);
  const qg::Config& cfg = loaded.config;
  std::error_code ec;
  // Absolute: the daemon resolves the path in its own working directory.
  const std::string dir = folder_key(qg::expand_user_path(cfg.cliproxy.auth_dir));
  // The folder the config names (without AUTH_DIR): any other stays imported once recorded.
  std::string configured = dir;
  if (!flags.auth_dir.empty()) {
    qg::LoadOptions plain = flags.load;
    plain.auth_dir.reset();
    qg::LoadResult base = qg::load_config(plain);
    if (base.ok()) configured = folder_key(qg::expand_user_path(base.config.cliproxy.auth_dir));
  }

  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "cliproxy.auth_dir: %s does not exist or is not a folder\n", dir.c_str());
    qg::cli::exit_with(2);
  }
  if (flags.assign_prefixes) {
    if (cfg.cliproxy.management_key.empty()) {
      std::fprintf(stderr, "--assign-prefixes: cliproxy.management_key is not set (needed for PATCH /v0/management/auth-files/fields)\n");
      qg::cli::exit_with(2);
    }
    if (!assign_prefixes(cfg, dir, flags.dry_run, flags.json)) qg::cli::exit_with(1);
  }

  DiscoveryOutcome out;
  bool handed = false;
  try {
    // What recording the folder will do, against the log as it is now (read-only).
    Known known = known_read_only(cfg.storage);
    out = scan_auth_dir(dir, known.accounts, qg::system_clock_ms(), scan_options(cfg, dir, configured, known.folders));
    if (!flags.dry_run && out.error.empty()) {
      nlohmann::json daemon_results;
      std::string daemon_error;
      // Without AUTH_DIR the daemon scans its own cliproxy.auth_dir (its environment may differ).
      Handoff answer = hand_to_daemon(cfg, flags.auth_dir.empty() ? "" : dir, daemon_results, daemon_error);
      if (answer == Handoff::refused) {
        std::fprintf(stderr, "%s\n", qg::redact(daemon_error).c_str());
        qg::cli::exit_with(1);
      }
      if (answer == Handoff::ok) {
        handed = true;  // the daemon recorded its own scan; prefer what it reports
        if (daemon_results.is_array() && !daemon_results.empty()) out.results = results_from_json(daemon_results);
      } else {
        out = record_in_database(cfg, dir, configured);
      }
    }
  } catch (const qg::StorageError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    qg::cli::exit_with(2);
  }
  if (!out.error.empty()) {
    std::fprintf(stderr, "%s\n", out.error.c_str());
    qg::cli::exit_with(2);
  }
  if (flags.json) {
    std::printf("%s\n", results_to_json(out.results).c_str());
    return;
  }
  if (handed) std::printf("handed to the running daemon at %s\n", cfg.server.listen.c_str());
  print_text(out.results, out, dir, flags.dry_run);
  if (dir != configured && !flags.dry_run)
    std::printf("%s stays imported besides cliproxy.auth_dir: watched and rescanned until "
                "`quotaguard forget %s`\n", dir.c_str(), dir.c_str());
}

}  // namespace

void add_setup_command(CLI::App& root) {
  auto flags = std::make_shared<SetupFlags>();
  auto* cmd = root.add_subcommand("setup", "discover CLIProxyAPI accounts and record them");
  cmd->add_option("AUTH_DIR", flags->auth_dir,
                  "CLIProxyAPI auth folder (default: $QUOTAGUARD_CLIPROXY_AUTH_PATH, cliproxy.auth_dir, ~/.cli-proxy-api)");
  cmd->add_flag("--json", flags->json, "print a JSON array, one object per file");
  cmd->add_flag("--dry-run", flags->dry_run, "show what would be recorded; change nothing");
  cmd->add_flag("--assign-prefixes", flags->assign_prefixes,
                "give unpinned auth files a prefix via the management API (needs cliproxy.management_key)");
  qg::cli::add_config_flag(*cmd, flags->load);
  qg::cli::add_db_flag(*cmd, flags->load);
  cmd->callback([flags] { run_setup(*flags); });
}
QG_REGISTER_COMMAND(add_setup_command);
