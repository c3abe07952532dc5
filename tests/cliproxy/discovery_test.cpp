// tests/cliproxy/discovery_test.cpp — scan a real folder built from every sample auth type
// plus the bad-file kinds; reconcile against known accounts across scans.
#include "cliproxy/discovery.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;
namespace fs = std::filesystem;

namespace {

constexpr TimeMs kNow = 1775800000000;

// Folder with every sample under a CLIProxyAPI-style name, plus one file of each bad kind.
void build_sample_folder(const fs::path& dir) {
  const std::pair<const char*, const char*> samples[] = {
      {"antigravity.json", "antigravity-grace@example.com.json"},
      {"claude.json", "claude-dave@example.com.json"},
      {"codex.json", "codex-alice@example.com-plus.json"},
      {"gemini.json", "gemini-alice@example.com-alice-gemini-proj-123456.json"},
      {"iflow.json", "iflow-frank@example.com-1775800000.json"},
      {"kimi.json", "kimi-1775800800000.json"},
      {"qwen.json", "qwen-eve-alias.json"},
      {"vertex.json", "vertex-heidi-vertex-proj.json"},
      {"xai.json", "xai-ivan@example.com.JSON"},  // suffix is case-insensitive
  };
  for (auto [sample, name] : samples) fs::copy_file(fixture_dir() / "auth-types" / sample, dir / name);
  write_file(dir / "empty.json", "");
  write_file(dir / "half-written.json", R"({"type":"claude","email":"zoe@example.com","access_token":"sk-ant-oat01-FAKE-)");
  write_file(dir / "notes.json", "just some text");
  write_file(dir / "list.json", "[]");
  write_file(dir / "notype.json", R"({"email":"x@example.com"})");
  write_file(dir / ".oauth-codex-abc123.oauth", R"({"code":"c","state":"s","error":""})");
  write_file(dir / "codex-alice.cds", R"({"version":1})");
  fs::create_directories(dir / "backup");
  fs::copy_file(fixture_dir() / "auth-types/claude.json", dir / "backup/claude-old.json");
}

const DiscoveryResult* by_file(const DiscoveryOutcome& o, const std::string& file) {
  for (const auto& r : o.results)
    if (r.file == file) return &r;
  return nullptr;
}

std::map<std::string, AccountSpec> known_after(const DiscoveryOutcome& o) { return o.accounts; }

// Every string an event carries, for the secret grep (independent of the event codec).
std::string event_text(const Event& e) {
  std::string out = e.account;
  auto add_spec = [&](const AccountSpec& s) {
    out += s.provider + s.type + s.email + s.base_url + s.prefix + s.origin + s.file + s.fingerprint;
    for (const auto& m : s.excluded_models) out += m;
  };
  if (auto* r = std::get_if<AccountRegistered>(&e.payload)) add_spec(r->spec);
  if (auto* u = std::get_if<AccountUpdated>(&e.payload)) add_spec(u->spec);
  if (auto* d = std::get_if<AccountRemoved>(&e.payload)) out += d->reason;
  return out;
}

}  // namespace

TEST_CASE("first scan of the sample folder: ids, providers, statuses, reasons") {
  TempDir tmp;
  build_sample_folder(tmp.path());
  auto out = scan_auth_dir(tmp.path(), {}, kNow);
  REQUIRE(out.error == "");

  struct Expect { const char* file; const char* id; const char* type; };
  const Expect added[] = {
      {"antigravity-grace@example.com.json", "antigravity-grace@example.com", "antigravity"},
      {"claude-dave@example.com.json", "claude-dave@example.com", "claude"},
      {"codex-alice@example.com-plus.json", "codex-alice@example.com-9605fdb5", "codex"},
      {"gemini-alice@example.com-alice-gemini-proj-123456.json",
       "gemini-alice@example.com-alice-gemini-proj-123456", "gemini"},
      {"iflow-frank@example.com-1775800000.json", "iflow-frank@example.com", "iflow"},
      {"kimi-1775800800000.json", "kimi-b95791af", "kimi"},
      {"qwen-eve-alias.json", "qwen-eve-alias", "qwen"},
      {"vertex-heidi-vertex-proj.json", "vertex-heidi-vertex-proj", "vertex"},
      {"xai-ivan@example.com.JSON", "xai-ivan@example.com", "xai"},
  };
  for (const auto& e : added) {
    std::string file = e.file;
    CAPTURE(file);
    const auto* r = by_file(out, e.file);
    REQUIRE(r);
    CHECK(r->id == e.id);
    CHECK(r->provider == "cliproxy");
    CHECK(r->type == e.type);
    CHECK(r->status == DiscoveryStatus::added);
    CHECK(r->reason == "");
  }
  const std::pair<const char*, const char*> skipped[] = {
      {"empty.json", "empty file"},
      {"half-written.json", "truncated"},
      {"notes.json", "not JSON"},
      {"list.json", "not an object"},
      {"notype.json", "missing \"type\""},
      {".oauth-codex-abc123.oauth", "OAuth callback temp file"},
      {"codex-alice.cds", "cooldown state"},
      {"backup", "nested folder"},
  };
  for (auto [file_c, reason] : skipped) {
    std::string file = file_c;
    CAPTURE(file);
    const auto* r = by_file(out, file);
    REQUIRE(r);
    CHECK(r->status == DiscoveryStatus::skipped);
    CHECK(r->id == "");
    CHECK(r->reason.find(reason) != std::string::npos);
  }
  CHECK(out.results.size() == 9 + 8);
  CHECK(out.count(DiscoveryStatus::added) == 9);
  CHECK(out.events.size() == 9);
  for (const auto& ev : out.events) CHECK(std::holds_alternative<AccountRegistered>(ev.payload));
  CHECK(out.events.front().ts == kNow);
  CHECK_FALSE(out.accounts.count("claude-old"));  // nested file never read

  SUBCASE("no token value appears in the results JSON or in the events") {
    CHECK(fixture_secrets().size() > 15);
    CHECK(leaked_secret(results_to_json(out.results)) == "");
    for (const auto& ev : out.events) CHECK(leaked_secret(event_text(ev)) == "");
  }
}

TEST_CASE("second scan: unchanged, renamed file keeps its id, rotation updates, deletion removes") {
  TempDir tmp;
  build_sample_folder(tmp.path());
  auto first = scan_auth_dir(tmp.path(), {}, kNow);
  auto known = known_after(first);

  auto again = scan_auth_dir(tmp.path(), known, kNow + 1);
  CHECK(again.events.empty());
  CHECK(again.count(DiscoveryStatus::unchanged) == 9);

  // rename claude; rotate codex's token; delete qwen; disable kimi
  fs::rename(tmp.path() / "claude-dave@example.com.json", tmp.path() / "01-first-choice.json");
  std::string codex = read_file(tmp.path() / "codex-alice@example.com-plus.json");
  codex.replace(codex.find("rt_FAKE-CODEX-REFRESH-TOKEN-alice"), 33, "rt_FAKE-CODEX-REFRESH-TOKEN-ROTATE");
  write_file(tmp.path() / "codex-alice@example.com-plus.json", codex);
  fs::remove(tmp.path() / "qwen-eve-alias.json");
  std::string kimi = read_file(tmp.path() / "kimi-1775800800000.json");
  kimi.insert(1, "\"disabled\": true,");
  write_file(tmp.path() / "kimi-1775800800000.json", kimi);

  auto third = scan_auth_dir(tmp.path(), known, kNow + 2);
  const auto* renamed = by_file(third, "01-first-choice.json");
  REQUIRE(renamed);
  CHECK(renamed->id == "claude-dave@example.com");
  CHECK(renamed->status == DiscoveryStatus::updated);  // same id, new file name
  CHECK(by_file(third, "codex-alice@example.com-plus.json")->status == DiscoveryStatus::updated);
  const auto* disabled = by_file(third, "kimi-1775800800000.json");
  CHECK(disabled->status == DiscoveryStatus::disabled);
  CHECK(disabled->reason == "disabled in auth file");
  CHECK(third.removed == std::vector<std::string>{"qwen-eve-alias"});

  int registered = 0, updated = 0, removed = 0;
  for (const auto& ev : third.events) {
    registered += std::holds_alternative<AccountRegistered>(ev.payload);
    if (auto* u = std::get_if<AccountUpdated>(&ev.payload)) {
      ++updated;
      if (ev.account == "kimi-b95791af") CHECK_FALSE(u->spec.enabled);
      if (ev.account == "claude-dave@example.com") CHECK(u->spec.file == "01-first-choice.json");
    }
    if (auto* r = std::get_if<AccountRemoved>(&ev.payload)) {
      ++removed;
      CHECK(ev.account == "qwen-eve-alias");
      CHECK(r->reason.find("qwen-eve-alias.json") != std::string::npos);
    }
  }
  CHECK(registered == 0);  // a rename is not remove + add
  CHECK(updated == 3);
  CHECK(removed == 1);
  for (const auto& ev : third.events) CHECK(leaked_secret(event_text(ev)) == "");
}

TEST_CASE("a file caught mid-write keeps its account and is retried next scan") {
  TempDir tmp;
  fs::copy_file(fixture_dir() / "auth-types/claude.json", tmp.path() / "claude.json");
  fs::copy_file(fixture_dir() / "auth-types/codex.json", tmp.path() / "codex.json");
  auto known = known_after(scan_auth_dir(tmp.path(), {}, kNow));
  REQUIRE(known.size() == 2);

  std::string full = read_file(fixture_dir() / "auth-types/claude.json");
  write_file(tmp.path() / "claude.json", full.substr(0, full.size() / 2));  // truncated
  auto during = scan_auth_dir(tmp.path(), known, kNow + 1);
  CHECK(during.removed.empty());
  CHECK(during.events.empty());
  CHECK(by_file(during, "claude.json")->status == DiscoveryStatus::skipped);
  CHECK(by_file(during, "codex.json")->status == DiscoveryStatus::unchanged);  // one bad file never stops the rest

  write_file(tmp.path() / "claude.json", "");  // O_TRUNC moment
  CHECK(scan_auth_dir(tmp.path(), known, kNow + 2).removed.empty());

  write_file(tmp.path() / "claude.json", full);
  auto after = scan_auth_dir(tmp.path(), known, kNow + 3);
  CHECK(by_file(after, "claude.json")->status == DiscoveryStatus::unchanged);

  // A file that is valid JSON but no longer an auth file is not transient: removed.
  write_file(tmp.path() / "claude.json", R"({"email":"dave@example.com"})");
  CHECK(scan_auth_dir(tmp.path(), known, kNow + 4).removed == std::vector<std::string>{"claude-dave@example.com"});
}

TEST_CASE("multi-project gemini, duplicates and non-cliproxy accounts") {
  TempDir tmp;
  write_file(tmp.path() / "gemini-bob-all.json",
             R"({"type":"gemini","email":"bob@example.com","project_id":"p1,p2"})");
  write_file(tmp.path() / "z-copy-of-bob.json",
             R"({"type":"gemini","email":"bob@example.com","project_id":"p2"})");
  std::map<std::string, AccountSpec> known;
  AccountSpec config_account;
  config_account.provider = "openai";
  config_account.origin = "config";
  known["openai-main"] = config_account;
  auto out = scan_auth_dir(tmp.path(), known, kNow);
  REQUIRE(out.results.size() == 3);
  CHECK(out.results[0].id == "gemini-bob@example.com-p1");
  CHECK(out.results[1].id == "gemini-bob@example.com-p2");
  CHECK(out.results[2].status == DiscoveryStatus::skipped);
  CHECK(out.results[2].reason.find("same account gemini-bob@example.com-p2 as gemini-bob-all.json") != std::string::npos);
  CHECK(out.removed.empty());  // config accounts are not discovery's to remove
}

TEST_CASE("missing folder is an error that removes nothing - base_url is applied") {
  std::map<std::string, AccountSpec> known;
  AccountSpec spec;
  spec.origin = "cliproxy";
  spec.file = "a.json";
  known["claude-a"] = spec;
  auto out = scan_auth_dir("/nonexistent/qg-auth-dir", known, kNow);
  CHECK(out.error.find("/nonexistent/qg-auth-dir") != std::string::npos);
  CHECK(out.events.empty());

  TempDir tmp;
  fs::copy_file(fixture_dir() / "auth-types/claude.json", tmp.path() / "c.json");
  auto with_url = scan_auth_dir(tmp.path(), {}, kNow, ScanOptions{"http://127.0.0.1:8317"});
  CHECK(with_url.accounts.at("claude-dave@example.com").base_url == "http://127.0.0.1:8317");
}

TEST_CASE("results JSON has exactly the setup --json fields") {
  DiscoveryResult r{"claude-a@x", "cliproxy", "claude", "a@x", "c.json", DiscoveryStatus::disabled, "disabled in auth file"};
  CHECK(results_to_json({r}) ==
        R"([{"email":"a@x","file":"c.json","id":"claude-a@x","provider":"cliproxy","reason":"disabled in auth file","status":"disabled","type":"claude"}])");
}
