// cli/upstream_check.cpp — the "upstreams" check: every configured account's upstream answers.
//
// GET <base_url>/models with the account's key (never printed). Any HTTP answer proves the
// upstream is reachable; 401/403 means the key is rejected. One line for all accounts: the
// failures by account id, or how many answered.
#include "cli/checks.hpp"
#include "http/base_url.hpp"

#include <httplib.h>

namespace {

using qg::cli::CheckResult;

// "" when the upstream answered acceptably, else why not.
std::string probe(const qg::AccountConfig& a) {
  const qg::BaseUrl u = qg::split_base_url(a.base_url);
  if (!u.ok()) return "invalid base_url";
  httplib::Client client(u.origin);
  if (!client.is_valid()) return "invalid base_url";
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(5, 0);
  httplib::Headers headers;
  if (!a.api_key.empty()) {
    headers.emplace("Authorization", "Bearer " + a.api_key);
    headers.emplace("x-api-key", a.api_key);
  }
  auto res = client.Get((u.path + "/models").c_str(), headers);
  if (!res) return "unreachable (" + httplib::to_string(res.error()) + ")";
  if (res->status == 401 || res->status == 403)
    return "key rejected (HTTP " + std::to_string(res->status) + ")";
  if (res->status >= 500) return "HTTP " + std::to_string(res->status);
  return "";
}

CheckResult check_upstreams(const qg::cli::CheckContext& ctx) {
  const auto& accounts = ctx.config().accounts;
  if (accounts.empty()) return CheckResult::skip("no accounts in config");
  std::string failures;
  int answered = 0, tried = 0;
  for (const auto& a : accounts) {
    if (!a.enabled || a.base_url.empty()) continue;
    ++tried;
    const std::string why = probe(a);
    if (why.empty()) ++answered;
    else failures += (failures.empty() ? "" : "; ") + a.id + ": " + why;
  }
  if (tried == 0) return CheckResult::skip("no enabled account with a base_url");
  if (!failures.empty()) return CheckResult::fail(failures);
  return CheckResult::ok(std::to_string(answered) + " upstream(s) answer");
}

}  // namespace

QG_REGISTER_CHECK(40, "upstreams", check_upstreams);
