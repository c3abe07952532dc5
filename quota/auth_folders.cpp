// quota/auth_folders.cpp — fold of AuthFolderImported / AuthFolderForgotten.
#include "quota/auth_folders.hpp"

namespace qg {

void apply(AuthFolders& s, const Event& e) {
  if (const auto* in = std::get_if<AuthFolderImported>(&e.payload))
    s.imported.emplace(in->path, ImportedFolder{in->by, e.ts});
  else if (const auto* out = std::get_if<AuthFolderForgotten>(&e.payload))
    s.imported.erase(out->path);
}

}  // namespace qg
