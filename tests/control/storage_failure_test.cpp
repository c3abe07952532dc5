// tests/control/storage_failure_test.cpp — storage.on_error through the real Core: account
// actors, router and journal on a real SQLite file whose write lock another connection holds
// (what a second process, a long `sqlite3 .backup` or a stuck writer does). Checks that
// reject refuses new requests with a clear error and records nothing for them, allow admits
// them, in-flight commits are never lost, and the log catches up and verifies clean once the
// lock is released.
#include "quota/account_state.hpp"
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

RouteGrant route(Core& core) {
  RouteRequest cmd;
  cmd.model = "gpt-4o";
  cmd.estimate = Usage{1, 10, 10};
  return core.route(cmd);
}

CommandReply commit(Core& core, const RouteGrant& r) {
  return core.propose(r.account_id, ReservationCommitted{r.reservation_id, Usage{1, 7, 5}, false});
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
  o.storage.db_path = db;
  o.verify = true;
  const int code = run_replay(o, out, err);
  return code == 0 ? "" : out.str() + err.str();
}

// Start-up is asynchronous: the router learns of the account from its actor's first summary.
std::unique_ptr<Core> start_core(caf::actor_system& sys, const Config& config) {
  auto core = Core::start(sys, config);
  RouteRequest probe;
  probe.model = "gpt-4o";
  probe.reserve = false;
  for (int i = 0; i < 200 && !core->route(probe).ok; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(core->route(probe).ok);
  return core;
}

// A real event log file and an actor system for one Core.
struct LogFile {
  test::TempDir dir;
  std::string db = dir.file("qg.db");
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

// Restarts on the log at `db` and answers (requests used, reservations open) as replayed.
std::pair<std::int64_t, std::size_t> after_restart(const std::string& db, OnJournalError on_error) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto core = start_core(sys, config_for(db, on_error));
  const auto result = std::make_pair(used_requests(*core), core->account_state("acct")->reservations.size());
  core->stop();
  return result;
}

void wait_until_writable(Core& core) {
  for (int i = 0; i < 500 && !core.journal_health()->ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(core.journal_health()->ok());
}

}  // namespace

TEST_CASE("on_error: reject — locked log refuses new requests, keeps in-flight commits, catches up") {
  LogFile log;
  auto core = start_core(log.sys, config_for(log.db, OnJournalError::reject));

  const RouteGrant before = route(*core);
  REQUIRE_MESSAGE(before.ok, before.error_message);
  const RouteGrant inflight = route(*core);  // admitted before the lock, committed during it
  REQUIRE(inflight.ok);
  CHECK(commit(*core, before).ok);
  const std::uint64_t seq_before = core->journal_seq();

  auto locker = Database::open({log.db});
  locker->exec("BEGIN EXCLUSIVE");
  const RouteGrant refused = route(*core);
  CHECK_FALSE(refused.ok);
  CHECK(refused.http_status == 503);
  CHECK(refused.error_message.find("event log unavailable") != std::string::npos);
  CHECK(refused.error_message.find("locked") != std::string::npos);
  CHECK_FALSE(core->journal_health()->ok());
  // Refused at once now, without touching the log.
  const RouteGrant refused_fast = route(*core);
  CHECK(refused_fast.http_status == 503);
  // The in-flight request finishes: its commit is held, not dropped.
  CHECK_FALSE(commit(*core, inflight).ok);
  CHECK(used_requests(*core) == 2);
  CHECK(core->account_state("acct")->reservations.empty());

  locker->exec("COMMIT");
  wait_until_writable(*core);
  const RouteGrant after = route(*core);
  REQUIRE(after.ok);
  CHECK(commit(*core, after).ok);
  CHECK(used_requests(*core) == 3);
  CHECK(core->journal_seq() > seq_before);
  core->stop();
  core.reset();

  CHECK(verify(log.db) == "");
  // A restart replays exactly what was served: 3 requests, nothing open.
  CHECK(after_restart(log.db, OnJournalError::reject) == std::make_pair(std::int64_t{3}, std::size_t{0}));
}

TEST_CASE("on_error: allow — locked log still admits, and every admitted request is in the log afterwards") {
  LogFile log;
  auto core = start_core(log.sys, config_for(log.db, OnJournalError::allow));
  REQUIRE(route(*core).ok);  // warm: account registered and routable

  auto locker = Database::open({log.db});
  locker->exec("BEGIN EXCLUSIVE");
  int admitted = 0;
  for (int i = 0; i < 5; ++i) {
    const RouteGrant r = route(*core);
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

  CHECK(verify(log.db) == "");
  // The 5 were committed; the warm-up reservation was never resolved (open).
  CHECK(after_restart(log.db, OnJournalError::allow) == std::make_pair(std::int64_t{admitted}, std::size_t{1}));
}
