// cli/check_command.cpp — `quotaguard check [--json]`: runs the registered checks
// (cli/checks.hpp), one line each, exit 1 when any fails.
#include "cli/checks.hpp"
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "config/logging.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace {

struct CheckFlags {
  qg::LoadOptions load;
  bool json = false;
};

int run_check(const CheckFlags& flags) {
  qg::LoadResult loaded = qg::load_config(flags.load);
  if (loaded.ok()) {
    qg::register_config_secrets(loaded.config);
    qg::setup_logging(loaded.config.log);
  }
  qg::cli::CheckContext ctx{flags.load, loaded};
  auto outcomes = qg::cli::run_checks(ctx);
  bool failed = false;
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& o : outcomes) {
    failed = failed || o.result.status == qg::cli::CheckStatus::fail;
    std::string detail = qg::redact(o.result.detail);
    if (flags.json) {
      checks.push_back({{"name", o.name}, {"status", qg::cli::to_string(o.result.status)},
                        {"detail", detail}});
    } else {
      const char* mark = o.result.status == qg::cli::CheckStatus::ok     ? "ok  "
                         : o.result.status == qg::cli::CheckStatus::fail ? "FAIL"
                                                                          : "skip";
      std::printf("%s %s: %s\n", mark, o.name.c_str(), detail.c_str());
    }
  }
  if (flags.json) {
    nlohmann::json out = {{"ok", !failed}, {"checks", checks}};
    std::printf("%s\n", out.dump().c_str());
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& root) {
  auto flags = std::make_shared<CheckFlags>();
  auto* cmd = root.add_subcommand(
      "check", "check config, database, auth dir, upstreams and Telegram; exit 1 on a failure");
  qg::cli::add_config_flag(*cmd, flags->load);
  cmd->add_flag("--json", flags->json, "print {\"ok\":bool,\"checks\":[{name,status,detail}]}");
  cmd->callback([flags] {
    int code = run_check(*flags);
    if (code != 0) qg::cli::exit_with(code);
  });
}
QG_REGISTER_COMMAND(add_check_command);
