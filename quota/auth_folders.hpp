// quota/auth_folders.hpp — the CLIProxyAPI auth folders imported besides cliproxy.auth_dir.
//
// `quotaguard setup PATH`, `/qg_import PATH` and POST /api/v1/import add a folder
// (AuthFolderImported); `quotaguard forget PATH`, `/qg_forget PATH` and
// POST /api/v1/import/forget drop it (AuthFolderForgotten). The set is folded by one pure
// `apply`, used live by the CLIProxyAPI module (which watches and rescans every folder in it)
// and by the journal, snapshots and replay, so an imported folder survives restarts.
// Paths are keys as cliproxy::folder_key makes them (absolute, normalised).
#pragma once

#include "messages/event.hpp"

#include <map>
#include <string>

namespace qg {

struct ImportedFolder {
  std::string by;                  // who imported it: admin | telegram:<id> | cli
  TimeMs since = 0;                // when (the event's ts)
  bool operator==(const ImportedFolder&) const = default;
};

struct AuthFolders {
  std::map<std::string, ImportedFolder> imported;  // path -> import
  bool operator==(const AuthFolders&) const = default;
};

// Applies AuthFolderImported / AuthFolderForgotten; ignores every other event. Importing a
// folder already imported keeps the first import.
void apply(AuthFolders& s, const Event& e);

}  // namespace qg
