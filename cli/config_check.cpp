// cli/config_check.cpp — the "config" check: the file loads and serve would accept it.
#include "cli/checks.hpp"
#include "config/config_loader.hpp"
#include "config/listen_address.hpp"

namespace {

qg::cli::CheckResult check_config(const qg::cli::CheckContext& ctx) {
  using qg::cli::CheckResult;
  const auto& loaded = ctx.loaded;
  if (!loaded.ok()) return CheckResult::fail(loaded.error);
  const qg::Config& cfg = loaded.config;
  if (std::string open = qg::exposure_refusal(cfg.server); !open.empty()) return CheckResult::fail(open);
  std::string source = loaded.path.empty() ? "built-in defaults" : loaded.path;
  return CheckResult::ok(source + ": valid (" + std::to_string(cfg.accounts.size()) +
                         " configured accounts, listen " + cfg.server.listen + ")");
}

}  // namespace

QG_REGISTER_CHECK(10, "config", check_config);
