// messages/auth_folder_view.hpp — the CLIProxyAPI auth folder verbs' answers
// (Operations::import_accounts, auth_folders, forget_folder) and their JSON forms:
//   import  {"auth_dir","imported","files":[{"id","provider","type","email","file","status","reason"}],
//            "removed":[ids],"errors":[..]}                      (POST /api/v1/import, /qg_import)
//   folders {"configured","imported":[{"path","by","since","accounts"}]}   (GET /api/v1/import)
//   forget  {"path","removed":[ids],"errors":[..]}              (POST /api/v1/import/forget)
// `errors` are the account events the event log refused: the front ends answer them as
// unavailable (HTTP 503 with this body), the rest of the scan stands.
#pragma once

#include "messages/event.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace qg {

// One auth file of a scan (cliproxy/discovery.hpp DiscoveryResult).
struct DiscoveredFile {
  std::string id;        // "" for a skipped file
  std::string provider;  // "cliproxy" ("" for a skipped file)
  std::string type;      // auth type from the file (codex, claude, gemini, ...)
  std::string email;
  std::string file;      // file name inside the folder
  std::string status;    // added | updated | unchanged | disabled | skipped
  std::string reason;    // set for skipped and disabled
};

struct ImportView {
  std::string auth_dir;
  bool imported = false;  // a folder besides cliproxy.auth_dir: kept, watched, rescanned until forgotten
  std::vector<DiscoveredFile> files;
  std::vector<std::string> removed;  // accounts whose file is gone
  std::vector<std::string> errors;
};

struct AuthFoldersView {
  struct Folder {
    std::string path;
    std::string by;    // who imported it
    TimeMs since = 0;
    int accounts = 0;
  };
  std::string configured;  // cliproxy.auth_dir
  std::vector<Folder> imported;
};

struct ForgetFolderView {
  std::string path;
  std::vector<std::string> removed;  // accounts removed with the folder
  std::vector<std::string> errors;
};

nlohmann::json discovered_files_json(const std::vector<DiscoveredFile>& files);
nlohmann::json import_view_json(const ImportView& v);
nlohmann::json auth_folders_view_json(const AuthFoldersView& v);
nlohmann::json forget_folder_view_json(const ForgetFolderView& v);

}  // namespace qg
