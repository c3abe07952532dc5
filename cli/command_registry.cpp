// cli/command_registry.cpp — see command_registry.hpp.
#include "cli/command_registry.hpp"

#include <CLI/Error.hpp>

namespace qg::cli {
namespace {

std::vector<RegisteredCommand>& registry() {
  static std::vector<RegisteredCommand> commands;  // constructed on first use: init-order safe
  return commands;
}

}  // namespace

bool register_command(const char* adder_name, CommandAdder add) {
  registry().push_back({adder_name, add});
  return true;
}

const std::vector<RegisteredCommand>& registered_commands() { return registry(); }

void exit_with(int code) { throw CLI::RuntimeError(code); }

}  // namespace qg::cli
