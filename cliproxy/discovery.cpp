// cliproxy/discovery.cpp — see discovery.hpp.
#include "cliproxy/discovery.hpp"

#include "cliproxy/auth_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace qg::cliproxy {
namespace {

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}

DiscoveryResult skipped(const std::string& file, std::string reason, std::string type = {}) {
  DiscoveryResult r;
  r.file = file;
  r.type = std::move(type);
  r.status = DiscoveryStatus::skipped;
  r.reason = std::move(reason);
  return r;
}

// Why a non-.json entry is not an auth file.
std::string non_auth_reason(const DirEntry& e) {
  if (e.kind == DirEntry::Kind::directory)
    return "nested folder (CLIProxyAPI reads top-level files only)";
  if (ends_with_ci(e.name, ".oauth")) return "OAuth callback temp file";
  if (ends_with_ci(e.name, ".cds")) return "CLIProxyAPI cooldown state file, not an auth file";
  if (e.kind == DirEntry::Kind::other) return "not a regular file";
  return "not a .json file";
}

}  // namespace

std::string folder_key(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec) p = fs::path(path);
  std::string key = p.lexically_normal().string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key;
}

bool folder_owns(const AccountSpec& spec, const ScanOptions& options) {
  if (spec.origin != "cliproxy") return false;
  if (spec.auth_dir == options.folder) return true;
  return options.primary && !options.other_folders.count(spec.auth_dir);
}

std::vector<Event> forget_folder_events(const std::string& folder,
                                        const std::map<std::string, AccountSpec>& known, TimeMs now) {
  std::vector<Event> out;
  for (const auto& [id, spec] : known)
    if (spec.origin == "cliproxy" && spec.auth_dir == folder)
      out.push_back(Event{0, now, id, AccountRemoved{"auth folder " + folder + " forgotten"}});
  return out;
}

const char* to_string(DiscoveryStatus s) {
  switch (s) {
    case DiscoveryStatus::added: return "added";
    case DiscoveryStatus::updated: return "updated";
    case DiscoveryStatus::unchanged: return "unchanged";
    case DiscoveryStatus::disabled: return "disabled";
    case DiscoveryStatus::skipped: return "skipped";
  }
  return "skipped";
}

std::size_t DiscoveryOutcome::count(DiscoveryStatus s) const {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(),
                                                [s](const DiscoveryResult& r) { return r.status == s; }));
}

DiscoveryOutcome reconcile(std::vector<DirEntry> entries,
                           const std::map<std::string, AccountSpec>& known, TimeMs now,
                           const ScanOptions& options) {
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  DiscoveryOutcome out;
  std::set<std::string> protected_files;  // files skipped for a transient reason
  std::map<std::string, std::string> first_file_of;  // id -> file that claimed it

  for (const auto& entry : entries) {
    bool is_json = entry.kind == DirEntry::Kind::file && ends_with_ci(entry.name, ".json");
    if (!is_json) {
      out.results.push_back(skipped(entry.name, non_auth_reason(entry)));
      continue;
    }
    if (!entry.read_error.empty()) {
      protected_files.insert(entry.name);
      out.results.push_back(skipped(entry.name, "unreadable: " + entry.read_error + " (retried next scan)"));
      continue;
    }
    if (entry.oversized) {
      out.results.push_back(skipped(entry.name, "file larger than 1 MiB"));
      continue;
    }
    AuthFileInfo info = parse_auth_file(entry.name, entry.bytes);
    if (info.skipped()) {
      if (info.transient) protected_files.insert(entry.name);
      out.results.push_back(skipped(entry.name, info.skip_reason));
      continue;
    }
    for (auto& account : info.accounts) {
      account.spec.base_url = options.base_url;
      auto claimed = first_file_of.find(account.id);
      if (claimed != first_file_of.end()) {
        out.results.push_back(skipped(entry.name, "same account " + account.id + " as " + claimed->second,
                                      account.spec.type));
        continue;
      }
      first_file_of[account.id] = entry.name;
      DiscoveryResult r;
      r.id = account.id;
      r.provider = account.spec.provider;
      r.type = account.spec.type;
      r.email = account.spec.email;
      r.file = entry.name;
      account.spec.auth_dir = options.folder;
      auto it = known.find(account.id);
      if (it != known.end() && it->second.origin == "cliproxy" && !folder_owns(it->second, options)) {
        out.results.push_back(skipped(entry.name, "same account " + account.id + " as " + it->second.file +
                                                      " in " + it->second.auth_dir, account.spec.type));
        continue;
      }
      if (it == known.end()) {
        r.status = DiscoveryStatus::added;
        out.events.push_back(Event{0, now, account.id, AccountRegistered{account.spec}});
      } else if (!(it->second == account.spec)) {
        r.status = DiscoveryStatus::updated;
        out.events.push_back(Event{0, now, account.id, AccountUpdated{account.spec}});
      } else {
        r.status = DiscoveryStatus::unchanged;
      }
      if (!account.spec.enabled) {
        r.status = DiscoveryStatus::disabled;
        r.reason = "disabled in auth file";
      }
      out.accounts[account.id] = account.spec;
      out.results.push_back(std::move(r));
    }
  }

  for (const auto& [id, spec] : known) {
    if (spec.origin != "cliproxy" || out.accounts.count(id) || !folder_owns(spec, options)) continue;
    if (protected_files.count(spec.file)) continue;  // unreadable this time: keep, retry later
    out.removed.push_back(id);
    out.events.push_back(Event{0, now, id, AccountRemoved{"auth file " + spec.file + " removed"}});
  }
  return out;
}

DiscoveryOutcome scan_auth_dir(const std::filesystem::path& dir,
                               const std::map<std::string, AccountSpec>& known, TimeMs now,
                               const ScanOptions& options) {
  namespace fs = std::filesystem;
  DiscoveryOutcome failed;
  failed.dir = dir.string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    failed.error = ec ? "auth dir " + dir.string() + ": " + ec.message()
                      : "auth dir " + dir.string() + " does not exist or is not a folder";
    return failed;
  }
  std::vector<DirEntry> entries;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    failed.error = "cannot read auth dir " + dir.string() + ": " + ec.message();
    return failed;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) {
      failed.error = "cannot read auth dir " + dir.string() + ": " + ec.message();
      return failed;
    }
    DirEntry e;
    e.name = it->path().filename().string();
    std::error_code kind_ec;
    if (it->is_directory(kind_ec)) e.kind = DirEntry::Kind::directory;
    else if (it->is_regular_file(kind_ec)) e.kind = DirEntry::Kind::file;
    else e.kind = DirEntry::Kind::other;
    if (e.kind == DirEntry::Kind::file && ends_with_ci(e.name, ".json")) {
      std::error_code size_ec;
      auto size = fs::file_size(it->path(), size_ec);
      if (size_ec) {
        e.read_error = size_ec.message();
      } else if (size > kMaxAuthFileBytes) {
        e.oversized = true;
      } else {
        std::ifstream in(it->path(), std::ios::binary);
        if (!in) {
          e.read_error = "cannot open";
        } else {
          std::ostringstream buf;
          buf << in.rdbuf();
          e.bytes = buf.str();
        }
      }
    }
    entries.push_back(std::move(e));
  }
  DiscoveryOutcome out = reconcile(std::move(entries), known, now, options);
  out.dir = dir.string();
  return out;
}

std::vector<DiscoveredFile> discovered_files(const std::vector<DiscoveryResult>& results) {
  std::vector<DiscoveredFile> out;
  out.reserve(results.size());
  for (const auto& r : results) out.push_back({r.id, r.provider, r.type, r.email, r.file, to_string(r.status), r.reason});
  return out;
}

std::string results_to_json(const std::vector<DiscoveryResult>& results) {
  return discovered_files_json(discovered_files(results)).dump();
}

}  // namespace qg::cliproxy
