// cli/checks.hpp — the checks `quotaguard check` runs, as a registry others extend.
//
// Each check gets the loaded config and returns ok / fail / skip with one line of detail.
// Add one from your own file (no edit of check_command.cpp needed):
//
//   #include "cli/checks.hpp"
//   static qg::cli::CheckResult check_auth_dir(const qg::cli::CheckContext& ctx) { ... }
//   QG_REGISTER_CHECK(30, "auth_dir", check_auth_dir);
//
// Checks run in `order` (config 10, database 20, auth_dir 30, upstreams 40, telegram 50).
// When the config itself does not load, every check after it is reported as skipped.
// Details are run through the redaction registry before printing; never put a secret in them.
#pragma once

#include "config/config_loader.hpp"

#include <functional>
#include <string>
#include <vector>

namespace qg::cli {

enum class CheckStatus { ok, fail, skip };
const char* to_string(CheckStatus s);

struct CheckResult {
  CheckStatus status = CheckStatus::ok;
  std::string detail;  // one line
  static CheckResult ok(std::string detail) { return {CheckStatus::ok, std::move(detail)}; }
  static CheckResult fail(std::string detail) { return {CheckStatus::fail, std::move(detail)}; }
  static CheckResult skip(std::string detail) { return {CheckStatus::skip, std::move(detail)}; }
};

struct CheckContext {
  const LoadOptions& options;
  const LoadResult& loaded;  // loaded.ok() is true for every check but "config"
  const Config& config() const { return loaded.config; }
};

struct NamedCheck {
  int order = 100;
  std::string name;
  std::function<CheckResult(const CheckContext&)> run;
};

bool register_check(NamedCheck check);
// The registered checks sorted by order, then name.
std::vector<NamedCheck> registered_checks();

struct CheckOutcome {
  std::string name;
  CheckResult result;
};
// Runs every registered check; the config check decides whether the others run.
std::vector<CheckOutcome> run_checks(const CheckContext& ctx);

}  // namespace qg::cli

#define QG_CHECK_CONCAT_(a, b) a##b
#define QG_CHECK_CONCAT(a, b) QG_CHECK_CONCAT_(a, b)
#define QG_REGISTER_CHECK(order, name, fn)                                                 \
  [[maybe_unused]] static const bool QG_CHECK_CONCAT(qg_registered_check_, __LINE__) =    \
      ::qg::cli::register_check(::qg::cli::NamedCheck{order, name, fn})
