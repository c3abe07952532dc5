// tests/e2e_proxy/simulate_e2e_test.cpp — issue 18 §2 on the real binary: traffic through the
// proxy (switches, a fallback model, 429s from the router), then `quotaguard simulate` on the log
// it wrote: with the settings that were in force it reproduces every decision; its output is
// byte-identical run after run (text, --json, --plot); another policy is simulated read-only.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using namespace qg::test;
using nlohmann::json;

TEST_CASE("simulate: a log recorded by the real binary, replayed with the settings in force, reproduces every decision") {
  FakeProviderProcess fake({"--models", "m1,m2"});
  E2eDaemon qg;
  // balanced without dwell or hysteresis: the route moves at almost every request; m2 falls back
  // to m1 once its one account is full; with all_critical: reject the router answers 429 at the end.
  qg.start({{"a1", fake.port(), "sk-e2e-sim-one", 5, "openai", "/v1", "[\"m1\"]"},
            {"a2", fake.port(), "sk-e2e-sim-two", 4, "openai", "/v1", "[\"m1\"]"},
            {"a3", fake.port(), "sk-e2e-sim-three", 2, "openai", "/v1", "[\"m2\"]"}},
           "router:\n  policy: balanced\n  all_critical: reject\n"
           "  anti_flapping: {min_dwell: 0s, cooldown_after_switch: 0s, hysteresis: 0}\n"
           "  fallback_chains:\n    m2: [m1]\n");
  int ok = 0, refused = 0, fallback = 0;
  const char* traffic[] = {"m1", "m1", "m2", "m1", "m2", "m1", "m2", "m1", "m1", "m2", "m1", "m1", "m1"};
  for (const char* model : traffic) {
    const HttpReply r = qg.chat(model);
    if (r.status == 200) ++ok;
    if (r.status == 429) ++refused;
    if (r.status == 200 && std::string(model) == "m2" && r.header("x-quotaguard-model") == "m1") ++fallback;
  }
  REQUIRE(ok + refused == 13);
  REQUIRE(refused > 0);   // the router ran out of room
  REQUIRE(fallback > 0);  // m2 was served by m1 once a3 was full
  CHECK(qg.daemon->stop() == 0);
  CHECK(qg.verify() == 0);

  const std::string db = qg.db_path();
  chmod(db.c_str(), 0400);  // simulate opens the log read-only: it must work on a read-only file
  auto run = run_quotaguard({"simulate", "--db", db, "--json"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  const json r = json::parse(run.out);
  CHECK(r["settings"]["as_recorded"] == true);
  CHECK(r["settings"]["recorded"]["policy"] == "balanced");
  CHECK_MESSAGE(r["divergences"]["count"] == 0, r["divergences"].dump());
  for (const char* side : {"recorded", "simulated"}) {
    CHECK(r[side]["requests"] == 13);
    CHECK(r[side]["served"] == ok);
    CHECK(r[side]["refused"] == refused);
    CHECK(r[side]["fallback"] == fallback);
  }
  CHECK(r["recorded"]["switches"] == r["simulated"]["switches"]);
  CHECK(r["recorded"]["switches"].get<int>() >= 3);
  CHECK(r["recorded"]["windows"] == r["simulated"]["windows"]);

  // Deterministic: the same inputs give byte-identical output, text, JSON and SVG.
  const std::string plot1 = qg.data.file("one.svg"), plot2 = qg.data.file("two.svg");
  auto t1 = run_quotaguard({"simulate", "--db", db, "--policy", "fill_first", "--plot", plot1});
  auto t2 = run_quotaguard({"simulate", "--db", db, "--policy", "fill_first", "--plot", plot2});
  REQUIRE_MESSAGE(t1.exit_code == 0, t1.err);
  REQUIRE(t2.exit_code == 0);
  CHECK(t1.out == t2.out);
  CHECK(read_file(plot1) == read_file(plot2));
  CHECK(read_file(plot1).find("</svg>") != std::string::npos);
  CHECK(t1.out.find("policy fill_first") != std::string::npos);
  CHECK(t1.out.find("refused (429)") != std::string::npos);
  auto j2 = run_quotaguard({"simulate", "--db", db, "--json"});
  CHECK(j2.out == run.out);

  // Other limits (--accounts-limits): a1 with room for 50 a day takes what was refused.
  const std::string limits = qg.data.write("limits.yaml", "a1:\n  - {metric: requests, window: 1d, limit: 50}\n");
  auto more = run_quotaguard({"simulate", "--db", db, "--json", "--accounts-limits", limits});
  REQUIRE_MESSAGE(more.exit_code == 0, more.err);
  const json m = json::parse(more.out);
  CHECK(m["settings"]["as_recorded"] == false);
  CHECK(m["simulated"]["refused"] == 0);
  CHECK(m["simulated"]["windows"][0]["limit"] == 50);
  CHECK(m["divergences"]["causes"].contains("state"));
  const std::string broken = qg.data.write("broken.yaml", "a1:\n  - {metric: calls, window: 1d, limit: 5}\n");
  auto bad_l = run_quotaguard({"simulate", "--db", db, "--accounts-limits", broken});
  CHECK(bad_l.exit_code == 2);
  CHECK(bad_l.err.find("broken.yaml") != std::string::npos);

  // Bad flags: one line, exit 2, nothing written.
  auto bad = run_quotaguard({"simulate", "--db", db, "--policy", "cheapest"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--policy") != std::string::npos);
  auto bad_t = run_quotaguard({"simulate", "--db", db, "--thresholds", "90,80,95"});
  CHECK(bad_t.exit_code == 2);
  auto missing = run_quotaguard({"simulate", "--db", qg.data.file("none.db")});
  CHECK(missing.exit_code == 2);
  // Without --db: the log of $QUOTAGUARD_DB_PATH, else the storage.db_path of the config.yaml
  // found as every command finds it (replay's rule).
  const std::string with_db = run_quotaguard({"simulate", "--db", db, "--json"}).out;
  auto by_env = run_quotaguard({"simulate", "--json"}, RunOptions{}.set_env("QUOTAGUARD_DB_PATH", db));
  REQUIRE_MESSAGE(by_env.exit_code == 0, by_env.err);
  CHECK(by_env.out == with_db);
  const std::string dir = qg.data.file("cfg-dir");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.yaml") << "storage:\n  db_path: \"" << db << "\"\n";
  auto by_config = run_quotaguard({"simulate", "--json"}, RunOptions{}.in(dir));
  REQUIRE_MESSAGE(by_config.exit_code == 0, by_config.err);
  CHECK(by_config.out == with_db);
}
