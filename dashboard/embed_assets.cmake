# dashboard/embed_assets.cmake — writes OUT, a C++ source holding every file of DIR with an
# extension listed below as a string_view (dashboard/dashboard_assets.hpp). Run at build time:
#   cmake -DDIR=<dashboard dir> -DOUT=<file.cpp> -P embed_assets.cmake
# Each byte is written as a \xNN escape, 64 bytes a line; the ETag is a SHA-256 prefix.
cmake_minimum_required(VERSION 3.25)
# extension, content type ("+utf8" stands for "; charset=utf-8": a CMake list cannot hold ';')
set(types html text/html+utf8 css text/css+utf8 js text/javascript+utf8 svg image/svg+xml png image/png)
file(GLOB files LIST_DIRECTORIES false RELATIVE ${DIR}
  ${DIR}/*.html ${DIR}/*.css ${DIR}/*.js ${DIR}/*.svg ${DIR}/*.png)
list(SORT files)
string(REPEAT "[0-9a-f]" 128 line_pattern)

set(data "")
set(table "")
set(i 0)
foreach(name ${files})
  get_filename_component(ext ${name} LAST_EXT)
  string(SUBSTRING ${ext} 1 -1 ext)
  list(FIND types ${ext} at)
  math(EXPR at "${at} + 1")
  list(GET types ${at} type)
  string(REPLACE "+utf8" "; charset=utf-8" type "${type}")
  file(READ ${DIR}/${name} hex HEX)
  file(SIZE ${DIR}/${name} size)
  file(SHA256 ${DIR}/${name} sha)
  string(SUBSTRING ${sha} 0 20 sha)
  string(REGEX REPLACE "(${line_pattern})" "\\1\"\n    \"" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" hex "${hex}")
  string(APPEND data "// ${name}\nconstexpr std::string_view kFile${i}{\n    \"${hex}\", ${size}};\n")
  string(APPEND table "    {\"${name}\", \"${type}\", kFile${i}, \"\\\"${sha}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()

file(WRITE ${OUT}.tmp "// Generated from dashboard/ by dashboard/embed_assets.cmake: do not edit.
#include \"dashboard/dashboard_assets.hpp\"

namespace qg {
namespace {

${data}
constexpr DashboardAsset kAssets[] = {
${table}};

}  // namespace

std::span<const DashboardAsset> dashboard_assets() { return kAssets; }

const DashboardAsset* find_dashboard_asset(std::string_view name) {
  for (const auto& a : kAssets)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace qg
")
# Only a changed file touches OUT (no rebuild of its object otherwise).
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
