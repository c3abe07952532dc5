// cli/cliproxy_check.cpp — the CLIProxyAPI checks of `quotaguard check`:
//   auth_dir (30)  the auth folder exists and is readable; how many accounts, which files skipped
//   cliproxy_api (40)         CLIProxyAPI's OpenAI endpoint /v1/models answers with cliproxy.api_key
//   cliproxy_management (41)  the management API accepts cliproxy.management_key (one request:
//                             a 401 is reported, never retried — 5 failures ban the IP)
// Each problem is its own failing line. They skip when CLIProxyAPI is not in use (default
// folder absent, no keys configured) or, for management, when no key is set.
#include "cli/checks.hpp"
#include "cliproxy/discovery.hpp"
#include "cliproxy/management_client.hpp"
#include "config/config.hpp"
#include "messages/wall_clock.hpp"

#include <httplib.h>

#include <chrono>
#include <filesystem>

namespace {

using qg::cli::CheckResult;
using namespace qg::cliproxy;

constexpr const char* kDefaultAuthDir = "~/.cli-proxy-api";

bool cliproxy_configured(const qg::Config& cfg) {
  return !cfg.cliproxy.management_key.empty() || !cfg.cliproxy.api_key.empty() ||
         cfg.cliproxy.auth_dir != kDefaultAuthDir;
}

CheckResult check_auth_dir(const qg::cli::CheckContext& ctx) {
  const qg::Config& cfg = ctx.config();
  const std::string dir = qg::expand_user_path(cfg.cliproxy.auth_dir);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (!cliproxy_configured(cfg)) return CheckResult::skip(dir + ": no CLIProxyAPI auth folder (CLIProxyAPI not in use)");
    return CheckResult::fail("cliproxy.auth_dir: " + dir + " does not exist");
  }
  DiscoveryOutcome out = scan_auth_dir(dir, {}, qg::system_clock_ms());
  if (!out.error.empty()) return CheckResult::fail("cliproxy.auth_dir: " + out.error);
  std::string detail = dir + ": " + std::to_string(out.accounts.size()) + " account(s)";
  std::size_t skipped = out.count(DiscoveryStatus::skipped);
  if (skipped) {
    detail += ", " + std::to_string(skipped) + " file(s) skipped";
    for (const auto& r : out.results)
      if (r.status == DiscoveryStatus::skipped && r.reason.find("not a .json") == std::string::npos) {
        detail += " (" + r.file + ": " + r.reason + ")";
        break;
      }
  }
  return CheckResult::ok(detail);
}

CheckResult check_cliproxy_management(const qg::cli::CheckContext& ctx) {
  const qg::Config& cfg = ctx.config();
  if (cfg.cliproxy.management_key.empty())
    return CheckResult::skip("cliproxy.management_key not set (no quota polling, no --assign-prefixes)");
  ManagementClient client(cfg.cliproxy.base_url, cfg.cliproxy.management_key, {2000, 5000});
  auto listing = client.list_auth_files();  // exactly one request
  if (!listing.ok()) return CheckResult::fail(cfg.cliproxy.base_url + ": " + listing.error.message);
  std::string version = client.version().text.empty() ? "version unknown" : client.version().text;
  return CheckResult::ok(cfg.cliproxy.base_url + ": management API " + version + ", " +
                         std::to_string(listing.value->size()) + " auth(s)");
}

CheckResult check_cliproxy_api(const qg::cli::CheckContext& ctx) {
  const qg::Config& cfg = ctx.config();
  if (!cliproxy_configured(cfg)) return CheckResult::skip("CLIProxyAPI not in use");
  httplib::Client client(cfg.cliproxy.base_url);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  httplib::Headers headers;
  if (!cfg.cliproxy.api_key.empty()) headers.emplace("Authorization", "Bearer " + cfg.cliproxy.api_key);
  auto res = client.Get("/v1/models", headers);
  const std::string where = cfg.cliproxy.base_url + "/v1/models";
  if (!res) return CheckResult::fail(where + ": unreachable (" + httplib::to_string(res.error()) + ")");
  if (res->status == 401 || res->status == 403)
    return CheckResult::fail(where + ": " + (cfg.cliproxy.api_key.empty() ? "needs cliproxy.api_key" : "cliproxy.api_key rejected") +
                             " (" + std::to_string(res->status) + ")");
  if (res->status != 200) return CheckResult::fail(where + " answered " + std::to_string(res->status));
  return CheckResult::ok(where + " answers");
}

}  // namespace

QG_REGISTER_CHECK(30, "auth_dir", check_auth_dir);
QG_REGISTER_CHECK(40, "cliproxy_api", check_cliproxy_api);
QG_REGISTER_CHECK(41, "cliproxy_management", check_cliproxy_management);
