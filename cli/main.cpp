// cli/main.cpp — `quotaguard`: builds the command tree from the registered commands
// (cli/command_registry.hpp), parses, runs, and maps the outcome to the exit code:
// 0 ok, 1 failed check, 2 usage or config error (any CLI11 parse error included).
#include "cli/command_registry.hpp"
#include "config/logging.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

namespace {

// INTERFACE §1, in the order --help lists them; `forget` (drop an imported folder, after
// setup), `route` (dry-run routing), `forecast` and `simulate` are extensions.
// Commands not in this list follow in the order of their adder's name.
constexpr const char* kCommandOrder[] = {"serve", "setup", "forget", "quotas", "check", "replay",
                                         "settoken", "version", "route", "forecast", "simulate"};

void build_commands(CLI::App& root) {
  auto adders = qg::cli::registered_commands();
  std::sort(adders.begin(), adders.end(),
            [](const auto& a, const auto& b) { return a.adder_name < b.adder_name; });
  std::vector<bool> used(adders.size(), false);
  for (const char* name : kCommandOrder) {
    std::string conventional = std::string("add_") + name + "_command";
    for (std::size_t i = 0; i < adders.size(); ++i)
      if (!used[i] && adders[i].adder_name == conventional) {
        adders[i].add(root);
        used[i] = true;
      }
  }
  for (std::size_t i = 0; i < adders.size(); ++i)
    if (!used[i]) adders[i].add(root);
}

}  // namespace

int main(int argc, char** argv) {
  qg::setup_logging(qg::LogConfig{});
  CLI::App app{"QuotaGuard: quota-aware router for LLM provider accounts", "quotaguard"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "quotaguard " QG_VERSION);
  app.footer("Exit codes: 0 ok, 1 failed check, 2 usage or config error.\n"
             "Run `quotaguard <command> --help` for a command's flags.");
  build_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // qg::cli::exit_with
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help / version / the usage error
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quotaguard: %s\n", qg::redact(e.what()).c_str());
    return 1;
  }
  return 0;
}
