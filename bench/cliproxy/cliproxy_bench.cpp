// bench/cliproxy/cliproxy_bench.cpp — how long discovery and quota parsing take.
//
// Usage: cliproxy_bench [N_FILES=2000]
// Writes N auth files (codex/claude/gemini/kimi shapes, ~1-2 KiB each) into a temp folder and
// times: the first scan (all added), a rescan with nothing changed, and a rescan after 1 % of
// the files rotated their token. Then parses the four live-quota sample bodies in a loop.
#include "cliproxy/discovery.hpp"
#include "cliproxy/quota_parsers.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using namespace qg::cliproxy;

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string auth_file(int i, int rotation) {
  const char* types[] = {"codex", "claude", "gemini", "kimi"};
  std::string type = types[i % 4];
  std::string token = "FAKE-TOKEN-" + std::to_string(i) + "-" + std::to_string(rotation) + std::string(900, 'x');
  std::string body = "{\"type\":\"" + type + "\",\"access_token\":\"" + token + "\",\"refresh_token\":\"rt-" +
                     std::to_string(i) + "\",\"expired\":\"2026-04-20T14:00:00+08:00\"";
  if (type != "kimi") body += ",\"email\":\"user" + std::to_string(i) + "@example.com\"";
  if (type == "codex") body += ",\"account_id\":\"acct-" + std::to_string(i) + "\"";
  if (type == "gemini") body += ",\"project_id\":\"proj-" + std::to_string(i) + "\"";
  if (type == "kimi") body += ",\"device_id\":\"dev-" + std::to_string(i) + "\"";
  return body + ",\"priority\":\"" + std::to_string(i % 3) + "\"}";
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("qg-cliproxy-bench-" + std::to_string(rd()));
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) std::ofstream(dir / ("auth-" + std::to_string(i) + ".json")) << auth_file(i, 0);

  auto t0 = std::chrono::steady_clock::now();
  auto first = scan_auth_dir(dir, {}, 1);
  double first_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  auto again = scan_auth_dir(dir, first.accounts, 2);
  double again_ms = ms_since(t0);
  for (int i = 0; i < n; i += 100) std::ofstream(dir / ("auth-" + std::to_string(i) + ".json"), std::ios::trunc) << auth_file(i, 1);
  t0 = std::chrono::steady_clock::now();
  auto rotated = scan_auth_dir(dir, first.accounts, 3);
  double rotated_ms = ms_since(t0);
  std::printf("discovery, %d files: first scan %.1f ms (%zu added, %.0f files/s); rescan %.1f ms (%zu events); "
              "after 1%% rotated %.1f ms (%zu updated)\n",
              n, first_ms, first.count(DiscoveryStatus::added), n / (first_ms / 1000), again_ms,
              again.events.size(), rotated_ms, rotated.count(DiscoveryStatus::updated));
  fs::remove_all(dir);

  fs::path up = fs::path(QG_SOURCE_DIR) / "tests/fixtures/cliproxy/upstream";
  struct Body { QuotaKind kind; std::string text; const char* name; };
  Body bodies[] = {{QuotaKind::codex, read_file(up / "codex-wham-usage.json"), "codex wham/usage"},
                   {QuotaKind::claude, read_file(up / "claude-oauth-usage.json"), "claude oauth/usage"},
                   {QuotaKind::gemini_cli, read_file(up / "gemini-cli-retrieveUserQuota.response.json"), "gemini retrieveUserQuota"},
                   {QuotaKind::antigravity, read_file(up / "antigravity-retrieveUserQuotaSummary.response.json"), "antigravity summary"}};
  for (const auto& b : bodies) {
    const int iters = 20000;
    std::size_t windows = 0;
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) windows += parse_quota(b.kind, b.text, 0).windows.size();
    double ms = ms_since(t0);
    std::printf("parse %-26s %.2f us/body (%zu windows total)\n", b.name, ms * 1000 / iters, windows);
  }
  return 0;
}
