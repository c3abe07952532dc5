// tests/control/storage_failure_test.cpp — storage.on_error through the real Core: account
// actors, router and journal on a real SQLite file whose write lock another connection holds
// (what a second process, a long `sqlite3 .backup` or a stuck writer does). Checks that
// reject refuses new requests with a clear error and records nothing for them, allow admits
// them, in-flight commits are never lost, and the log catches up and verifies clean once the
// lock is released.
#include "actors/account/account_state.hpp"
#include "actors/control/core.hpp"
#include "persistence/database.hpp"
#include "persistence/replay.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <sstream>
#include <thread>

using namespace qg;

namespace {

Config config_for(const std::string& db, OnJournalError on_error) {
  Config c;
  c.storage.db_path = db;
  c.storage.on_error = on_error;
  c.storage.busy_timeout = std::chrono::milliseconds{50};
  AccountConfig a;
  a.id = "acct";
  a.provider = "openai";
  a.base_url = "http://127.0.0.1:1/v1";
  a.limits = {{Metric::requests, 86'400, 1000}};
  c.accounts.push_back(a);
  return c;
}

RouteReply route(Core& core) {
  RouteCommand cmd;
  cmd.model = "gpt-4o";
  cmd.estimate = Usage{1, 10, 10};
  return core.route(cmd);
}

CommandReply commit(Core& core, const RouteReply& r) {
  return core.propose(r.account, ReservationCommitted{r.reservation_id, Usage{1, 7, 5}, false});
}

std::int64_t used_requests(Core& core) {
  auto s = core.account_state("acct");
  REQUIRE(s);
  std::int64_t used = 0;
  for (const auto& w : s->windows)
    if (w.metric == Metric::requests) used = std::max(used, w.used);
  return used;
}

std::string verify(const std::string& db) {
  std::ostringstream out, err;
  ReplayOptions o;
  o.db_path = db;
  o.verify = true;
  const int code = run_replay(o, out, err);
  return code == 0 ? "" : out.str() + err.str();
}

// Start-up is asynchronous: the router learns of the account from its actor's first summary.
std::unique_ptr<Core> start_core(caf::actor_system& sys, const Config& config) {
  auto core = Core::start(sys, config);
  RouteCommand probe;
  probe.model = "gpt-4o";
  probe.reserve = false;
  for (int i = 0; i < 200 && !core->route(probe).ok; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(core->route(probe).ok);
  return core;
}

void wait_until_writable(Core& core) {
  for (int i = 0; i < 500 && !core.journal_health()->ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(core.journal_health()->ok());
}

}  // namespace

TEST_CASE("on_error: reject — locked log refuses new requests, keeps in-flight commits, catches up") {
  test::TempDir dir;
  const std::string db = dir.file("qg.db");
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto core = start_core(sys, config_for(db, OnJournalError::reject));

  const RouteReply before = route(*core);
  REQUIRE_MESSAGE(before.ok, before.message);
  const RouteReply inflight = route(*core);  // admitted before the lock, committed during it
  REQUIRE(inflight.ok);
  CHECK(commit(*core, before).ok);
  const std::uint64_t seq_before = core->journal_seq();

  auto locker = Database::open({db});
  locker->exec("BEGIN EXCLUSIVE");
  const RouteReply refused = route(*core);
  CHECK_FALSE(refused.ok);
  CHECK(refused.http_status == 503);
  CHECK(refused.message.find("event log unavailable") != std::string::npos);
  CHECK(refused.message.find("locked") != std::string::npos);
  CHECK_FALSE(core->journal_health()->ok());
  // Refused at once now, without touching the log.
  const RouteReply refused_fast = route(*core);
  CHECK(refused_fast.http_status == 503);
  // The in-flight request finishes: its commit is held, not dropped.
  CHECK_FALSE(commit(*core, inflight).ok);
  CHECK(used_requests(*core) == 2);
  CHECK(core->account_state("acct")->reservations.empty());

  locker->exec("COMMIT");
  wait_until_writable(*core);
  const RouteReply after = route(*core);
  REQUIRE(after.ok);
  CHECK(commit(*core, after).ok);
  CHECK(used_requests(*core) == 3);
  CHECK(core->journal_seq() > seq_before);
  core->stop();
  core.reset();

  CHECK(verify(db) == "");
  // A restart replays exactly what was served: 3 requests, nothing open.
  caf::actor_system sys2{cfg};
  auto again = start_core(sys2, config_for(db, OnJournalError::reject));
  CHECK(used_requests(*again) == 3);
  CHECK(again->account_state("acct")->reservations.empty());
  again->stop();
}

TEST_CASE("on_error: allow — locked log still admits, and every admitted request is in the log afterwards") {
  test::TempDir dir;
  const std::string db = dir.file("qg.db");
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto core = start_core(sys, config_for(db, OnJournalError::allow));
  REQUIRE(route(*core).ok);  // warm: account registered and routable

  auto locker = Database::open({db});
  locker->exec("BEGIN EXCLUSIVE");
  int admitted = 0;
  for (int i = 0; i < 5; ++i) {
    const RouteReply r = route(*core);
    REQUIRE(r.ok);
    commit(*core, r);  // held while locked
    ++admitted;
  }
  CHECK_FALSE(core->journal_health()->ok());
  CHECK(core->journal_health()->held() >= 5);
  locker->exec("COMMIT");
  wait_until_writable(*core);
  core->stop();
  core.reset();

  CHECK(verify(db) == "");
  caf::actor_system sys2{cfg};
  auto again = start_core(sys2, config_for(db, OnJournalError::allow));
  // The warm-up reservation was never resolved (open), the 5 were committed.
  CHECK(used_requests(*again) == admitted);
  CHECK(again->account_state("acct")->reservations.size() == 1);
  again->stop();
}
