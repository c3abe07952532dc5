// cli/command_registry.hpp — how a command joins `quotaguard` without editing main.cpp.
//
// In your own file (cli/<name>_command.cpp):
//
//   #include "cli/command_registry.hpp"
//   #include <CLI/CLI.hpp>
//   void add_replay_command(CLI::App& root) {
//     auto* cmd = root.add_subcommand("replay", "audit the event log");
//     ... options ...
//     cmd->callback([=] { ...; if (bad) qg::cli::exit_with(1); });
//   }
//   QG_REGISTER_COMMAND(add_replay_command);
//
// main() calls every registered adder (INTERFACE §1 commands first, in that order; an adder
// named add_<cmd>_command counts as providing <cmd>). Exit codes: return normally
// = 0; qg::cli::exit_with(1) for a failed check, exit_with(2) for usage/config errors.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace qg::cli {

using CommandAdder = void (*)(CLI::App& root);

struct RegisteredCommand {
  std::string adder_name;  // the function's name, e.g. "add_replay_command"
  CommandAdder add;
};

// Records an adder; returns true so it can initialise a static (see QG_REGISTER_COMMAND).
bool register_command(const char* adder_name, CommandAdder add);
const std::vector<RegisteredCommand>& registered_commands();

// Ends the running command with `code` (0 ok, 1 failed check, 2 usage/config error).
// Throws an exception main() turns into the process exit code, so destructors run.
[[noreturn]] void exit_with(int code);

}  // namespace qg::cli

#define QG_REGISTER_COMMAND(adder)                            \
  void adder(CLI::App& root);                                 \
  [[maybe_unused]] static const bool qg_registered_##adder = \
      ::qg::cli::register_command(#adder, &adder)
