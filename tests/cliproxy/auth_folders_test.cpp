// tests/cliproxy/auth_folders_test.cpp — several CLIProxyAPI auth folders (issue 16 item 1):
// a scan answers only for accounts of the folder it scanned; the configured (primary) folder
// also claims accounts of no live folder; the same file in two folders is not moved back and
// forth; forgetting a folder removes its accounts; imported folders fold from events and
// survive the snapshot codec. Pure reconcile over real folders, no daemon.
#include "cliproxy/discovery.hpp"
#include "persistence/state_codec.hpp"
#include "quota/auth_folders.hpp"
#include "quota/system_state.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>

using namespace qg;
using namespace qg::cliproxy;
using namespace qg::cliproxy::test;
namespace fs = std::filesystem;

namespace {

constexpr TimeMs kNow = 1775800000000;

// Two folders: a (configured) with claude + codex, b (imported) with gemini + qwen.
struct Folders {
  TempDir tmp;
  std::string a = folder_key((tmp.path() / "a").string());
  std::string b = folder_key((tmp.path() / "b").string());
  std::map<std::string, AccountSpec> known;  // the log's accounts, as the daemon passes them

  Folders() {
    fs::create_directories(a);
    fs::create_directories(b);
    copy("claude.json", a, "claude-dave@example.com.json");
    copy("codex.json", a, "codex-alice@example.com-plus.json");
    copy("gemini.json", b, "gemini-alice@example.com-alice-gemini-proj-123456.json");
    copy("qwen.json", b, "qwen-eve-alias.json");
  }
  static void copy(const char* sample, const std::string& dir, const std::string& name) {
    fs::copy_file(fixture_dir() / "auth-types" / sample, fs::path(dir) / name, fs::copy_options::overwrite_existing);
  }
  ScanOptions options(const std::string& folder) const {
    ScanOptions o{"", folder, folder == a, {}};
    o.other_folders.insert(folder == a ? b : a);
    return o;
  }
  // Scans `folder` and folds what it writes into `known`, as the daemon does.
  DiscoveryOutcome scan(const std::string& folder) { return scan(folder, options(folder)); }
  DiscoveryOutcome scan(const std::string& folder, const ScanOptions& o) {
    DiscoveryOutcome out = scan_auth_dir(folder, known, kNow, o);
    REQUIRE(out.error.empty());
    fold(out.events);
    return out;
  }
  void fold(const std::vector<Event>& events) {
    for (const auto& e : events) {
      if (auto* r = std::get_if<AccountRegistered>(&e.payload)) known[e.account] = r->spec;
      if (auto* u = std::get_if<AccountUpdated>(&e.payload)) known[e.account] = u->spec;
      if (std::holds_alternative<AccountRemoved>(e.payload)) known.erase(e.account);
    }
  }
  std::set<std::string> ids_from(const std::string& folder) const {
    std::set<std::string> out;
    for (const auto& [id, s] : known)
      if (s.auth_dir == folder) out.insert(id);
    return out;
  }
};

}  // namespace

TEST_CASE("folder_key: absolute, normalised, no trailing slash") {
  CHECK(folder_key("/x/y/../z/") == "/x/z");
  CHECK(folder_key("/x//z") == "/x/z");
  CHECK(folder_key("/") == "/");
  CHECK(folder_key("rel/dir") == (fs::current_path() / "rel/dir").lexically_normal().string());
}

TEST_CASE("each folder's scan keeps the other folder's accounts and stamps its own") {
  Folders f;
  auto first_a = f.scan(f.a);
  auto first_b = f.scan(f.b);
  CHECK(first_a.count(DiscoveryStatus::added) == 2);
  CHECK(first_b.count(DiscoveryStatus::added) == 2);
  CHECK(first_b.removed.empty());  // before: b's scan removed a's two accounts
  REQUIRE(f.ids_from(f.a).size() == 2);
  REQUIRE(f.ids_from(f.b).size() == 2);

  // Rescans of both, in either order, change nothing.
  for (const auto& folder : {f.a, f.b, f.a}) {
    auto again = f.scan(folder);
    CHECK(again.events.empty());
    CHECK(again.count(DiscoveryStatus::unchanged) == 2);
  }
  CHECK(f.known.size() == 4);

  // A file deleted from b is removed by b's scan, not by a's.
  fs::remove(fs::path(f.b) / "qwen-eve-alias.json");
  CHECK(f.scan(f.a).removed.empty());
  auto b_scan = f.scan(f.b);
  REQUIRE(b_scan.removed.size() == 1);
  CHECK(f.ids_from(f.b).size() == 1);
  CHECK(f.ids_from(f.a).size() == 2);
}

TEST_CASE("the configured folder claims accounts of no live folder, an imported one does not") {
  Folders f;
  f.scan(f.a);
  f.scan(f.b);
  // b is forgotten (no longer live) but its removals were lost: a's scan, now with no other
  // folder, removes them; an imported folder's scan would not have.
  ScanOptions imported_only{"", folder_key(f.tmp.path() / "c"), false, {f.a}};
  fs::create_directories(imported_only.folder);
  CHECK(scan_auth_dir(imported_only.folder, f.known, kNow, imported_only).removed.empty());
  ScanOptions alone{"", f.a, true, {}};
  auto claimed = f.scan(f.a, alone);
  CHECK(claimed.removed.size() == 2);
  CHECK(f.ids_from(f.b).empty());
  CHECK(f.ids_from(f.a).size() == 2);

  // An account from an older log (no auth_dir) belongs to the configured folder: stamped on
  // the next scan that finds it, removed by that folder's scan when its file is gone.
  Folders g;
  g.scan(g.a);
  for (auto& [id, s] : g.known) s.auth_dir.clear();
  auto stamped = g.scan(g.a);
  CHECK(stamped.count(DiscoveryStatus::updated) == 2);
  CHECK(g.ids_from(g.a).size() == 2);
  for (auto& [id, s] : g.known) s.auth_dir.clear();
  CHECK(g.scan(g.b).removed.empty());  // not the imported folder's to remove
  fs::remove(fs::path(g.a) / "claude-dave@example.com.json");
  CHECK(g.scan(g.a).removed.size() == 1);
}

TEST_CASE("the same auth file in two folders stays with the first and is not moved back and forth") {
  Folders f;
  f.scan(f.a);
  Folders::copy("claude.json", f.b, "claude-copy.json");
  auto b_scan = f.scan(f.b);
  CHECK(b_scan.count(DiscoveryStatus::added) == 2);  // gemini, qwen
  bool skipped_copy = false;
  for (const auto& r : b_scan.results)
    if (r.file == "claude-copy.json") {
      skipped_copy = r.status == DiscoveryStatus::skipped && r.reason.find(f.a) != std::string::npos;
    }
  CHECK(skipped_copy);
  CHECK(f.scan(f.a).events.empty());
  CHECK(f.scan(f.b).events.empty());
}

TEST_CASE("forgetting a folder removes exactly its accounts") {
  Folders f;
  f.scan(f.a);
  f.scan(f.b);
  auto events = forget_folder_events(f.b, f.known, kNow);
  REQUIRE(events.size() == 2);
  for (const auto& e : events) {
    CHECK(f.known.at(e.account).auth_dir == f.b);
    REQUIRE(std::holds_alternative<AccountRemoved>(e.payload));
    CHECK(std::get<AccountRemoved>(e.payload).reason.find("forgotten") != std::string::npos);
  }
  CHECK(forget_folder_events(f.tmp.path().string() + "/none", f.known, kNow).empty());
}

TEST_CASE("imported folders fold from events, survive the snapshot codec and show in the replay state") {
  SystemState s;
  std::uint64_t seq = 0;
  auto add = [&](EventPayload p) { apply(s, Event{++seq, kNow + static_cast<TimeMs>(seq), "", std::move(p)}); };
  add(AuthFolderImported{"/srv/auths-a", "cli"});
  add(AuthFolderImported{"/srv/auths-b", "telegram:42"});
  add(AuthFolderImported{"/srv/auths-a", "admin"});  // again: the first import stands
  REQUIRE(s.auth_folders.imported.size() == 2);
  CHECK(s.auth_folders.imported.at("/srv/auths-a") == ImportedFolder{"cli", kNow + 1});
  add(AuthFolderForgotten{"/srv/auths-a", "cli"});
  REQUIRE(s.auth_folders.imported.size() == 1);
  CHECK(s.auth_folders.imported.count("/srv/auths-b") == 1);

  std::string err;
  auto back = decode_state(encode_state(s), &err);
  REQUIRE_MESSAGE(back, err);
  CHECK(*back == s);
  CHECK(state_summary_json(s, kNow)["auth_folders"] == nlohmann::json::array({"/srv/auths-b"}));
}
