// cli/checks.cpp — see checks.hpp.
#include "cli/checks.hpp"

#include <algorithm>

namespace qg::cli {
namespace {

std::vector<NamedCheck>& registry() {
  static std::vector<NamedCheck> checks;
  return checks;
}

}  // namespace

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok: return "ok";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
  }
  return "?";
}

bool register_check(NamedCheck check) {
  registry().push_back(std::move(check));
  return true;
}

std::vector<NamedCheck> registered_checks() {
  auto checks = registry();
  std::stable_sort(checks.begin(), checks.end(), [](const NamedCheck& a, const NamedCheck& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  return checks;
}

std::vector<CheckOutcome> run_checks(const CheckContext& ctx) {
  std::vector<CheckOutcome> out;
  for (const auto& check : registered_checks()) {
    if (!ctx.loaded.ok() && check.name != "config") {
      out.push_back({check.name, CheckResult::skip("config does not load")});
      continue;
    }
    try {
      out.push_back({check.name, check.run(ctx)});
    } catch (const std::exception& e) {
      out.push_back({check.name, CheckResult::fail(std::string("check crashed: ") + e.what())});
    }
  }
  return out;
}

}  // namespace qg::cli
