// cli/daemon_modules.cpp — see daemon_modules.hpp.
#include "cli/daemon_modules.hpp"

#include <algorithm>

namespace qg {
namespace {

std::vector<RegisteredModule>& registry() {
  static std::vector<RegisteredModule> modules;
  return modules;
}

}  // namespace

bool register_daemon_module(RegisteredModule module) {
  registry().push_back(std::move(module));
  return true;
}

std::vector<RegisteredModule> registered_daemon_modules() {
  auto modules = registry();
  std::stable_sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  return modules;
}

}  // namespace qg
