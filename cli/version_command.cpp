// cli/version_command.cpp — `quotaguard version`: our version and the linked libraries'.
#include "cli/command_registry.hpp"

#include <CLI/CLI.hpp>
#include <CLI/Version.hpp>
#include <caf/config.hpp>
#include <openssl/crypto.h>
#include <spdlog/version.h>
#include <sqlite3.h>

#include <cstdio>
#include <string>

namespace {

std::string caf_version() {
  return std::to_string(CAF_VERSION / 10000) + "." + std::to_string(CAF_VERSION / 100 % 100) +
         "." + std::to_string(CAF_VERSION % 100);
}

void print_versions() {
  std::printf("quotaguard %s\n", QG_VERSION);
  std::printf("  CAF            %s\n", caf_version().c_str());
  std::printf("  cpp-httplib    %s\n", QG_HTTPLIB_VERSION);
  std::printf("  simdjson       %s\n", QG_SIMDJSON_VERSION);
  std::printf("  yaml-cpp       %s\n", QG_YAML_CPP_VERSION);
  std::printf("  SQLite         %s\n", sqlite3_libversion());
  std::printf("  spdlog         %d.%d.%d\n", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
  std::printf("  OpenSSL        %s\n", OpenSSL_version(OPENSSL_VERSION));
  std::printf("  CLI11          %s\n", CLI11_VERSION);
  std::printf("  nlohmann-json  %s\n", QG_NLOHMANN_JSON_VERSION);
}

}  // namespace

void add_version_command(CLI::App& root) {
  auto* cmd =
      root.add_subcommand("version", "print the version and the versions of linked libraries");
  cmd->callback(print_versions);
}
QG_REGISTER_COMMAND(add_version_command);
