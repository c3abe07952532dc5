// messages/auth_folder_view.cpp
#include "messages/auth_folder_view.hpp"

#include <nlohmann/json.hpp>

namespace qg {

nlohmann::json discovered_files_json(const std::vector<DiscoveredFile>& files) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& f : files)
    arr.push_back({{"id", f.id}, {"provider", f.provider}, {"type", f.type}, {"email", f.email},
                   {"file", f.file}, {"status", f.status}, {"reason", f.reason}});
  return arr;
}

nlohmann::json import_view_json(const ImportView& v) {
  return {{"auth_dir", v.auth_dir}, {"imported", v.imported}, {"files", discovered_files_json(v.files)},
          {"removed", v.removed}, {"errors", v.errors}};
}

nlohmann::json auth_folders_view_json(const AuthFoldersView& v) {
  nlohmann::json imported = nlohmann::json::array();
  for (const auto& f : v.imported)
    imported.push_back({{"path", f.path}, {"by", f.by}, {"since", f.since}, {"accounts", f.accounts}});
  return {{"configured", v.configured}, {"imported", imported}};
}

nlohmann::json forget_folder_view_json(const ForgetFolderView& v) {
  return {{"path", v.path}, {"removed", v.removed}, {"errors", v.errors}};
}

}  // namespace qg
