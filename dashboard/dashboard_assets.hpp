// dashboard/dashboard_assets.hpp — the dashboard's files, compiled into the binary.
//
// dashboard/*.html|css|js|svg are turned into a C++ source at build time by
// dashboard/embed_assets.cmake (CMake only: no Node, nothing fetched), so the daemon serves
// the page without reading files at run time. http/dashboard_routes serves them.
#pragma once

#include <span>
#include <string_view>

namespace qg {

struct DashboardAsset {
  std::string_view name;          // file name in dashboard/, e.g. "dashboard.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;          // quoted SHA-256 prefix of the body
};

// Every embedded file.
std::span<const DashboardAsset> dashboard_assets();
// The file called `name`, or nullptr.
const DashboardAsset* find_dashboard_asset(std::string_view name);

}  // namespace qg
