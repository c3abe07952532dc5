// Reliability (c): the event log stops accepting writes under load, then recovers.
//   disk full — the daemon's file-size limit is dropped to 1 byte (prlimit on its pid), so
//               every write to the database and its WAL fails with EFBIG like a full disk;
//   locked    — another process (this test, through SQLite) holds the write lock;
// each with storage.on_error reject (requests fail closed: 503 with the storage error,
// /ready 503) and allow (requests keep succeeding). While it lasts /health says "degraded"
// with the error; when the disk frees or the lock goes, the held events are written and
// /health is ok again. Afterwards the log verifies, every 200 a client got is committed
// exactly once, and the fake provider served exactly what the log committed.
#include "tests/http/fake_provider_process.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"
#include "tests/support/test_storage.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <functional>
#include <map>
#include <thread>

using namespace qg::test;
using nlohmann::json;

namespace {

// Makes the log unwritable until destroyed.
using Fault = std::function<std::function<void()>(const DaemonProcess&, const std::string& db)>;

std::function<void()> disk_full(const DaemonProcess& d, const std::string&) {
  rlimit old{};
  REQUIRE(prlimit(d.pid(), RLIMIT_FSIZE, nullptr, &old) == 0);
  rlimit tiny = old;
  tiny.rlim_cur = 1;
  REQUIRE(prlimit(d.pid(), RLIMIT_FSIZE, &tiny, nullptr) == 0);
  const pid_t pid = d.pid();
  return [pid, old] { prlimit(pid, RLIMIT_FSIZE, &old, nullptr); };
}

std::function<void()> write_lock(const DaemonProcess&, const std::string& db) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &conn) == SQLITE_OK);
  sqlite3_busy_timeout(conn, 5000);
  REQUIRE(sqlite3_exec(conn, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  return [conn] {
    sqlite3_exec(conn, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(conn);
  };
}

json health(const DaemonProcess& d) { return json::parse(d.get("/health").body, nullptr, false); }

bool wait_for(const std::function<bool()>& cond, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

void run_storage_fault(const Fault& fault, const std::string& on_error) {
  // PostgreSQL's counterpart, the database stopped under load, is database_lost_test.cpp.
  skip_on_postgres("a full disk under the SQLite file and SQLite's write lock are SQLite's own faults");
  FakeProviderProcess fake({"--models", "m", "--chunks", "3", "--chunk-delay-ms", "5", "--threads", "16"});
  TempDir data("qg-rel-storage");
  const std::string db = data.file("qg.db");
  DaemonProcess d(DaemonOptions().config(
      "storage:\n  db_path: \"" + db + "\"\n  on_error: " + on_error + "\n  busy_timeout: 100ms\n"
      "accounts:\n  - {id: a1, provider: openai, base_url: \"" + fake.base_url() + "\", api_key: \"sk-storage-1\"}\n"));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());

  ClientLoad load(d.port(), 4, /*stream_every=*/3, /*timeout_ms=*/10000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int sent_before_fault = load.sent();
  auto clear_fault = fault(d, db);
  // While the log cannot be written: /health degraded with the error, /ready per on_error.
  REQUIRE_MESSAGE(wait_for([&] { return health(d).value("status", "") == "degraded"; }, 5000),
                  d.get("/health").body);
  const json h = health(d);
  CHECK_FALSE(h["storage"]["ok"].get<bool>());
  CHECK_FALSE(h["storage"]["error"].get<std::string>().empty());
  CHECK(d.get("/ready").status == (on_error == "reject" ? 503 : 200));
  const json journal = json::parse(d.get("/api/v1/status").body, nullptr, false)["components"]["journal"];
  CHECK_MESSAGE(journal.value("healthy", true) == false, journal.dump());
  CHECK(journal.value("detail", "").find("held in memory") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const int sent_in_fault = load.sent() - sent_before_fault;
  clear_fault();
  REQUIRE_MESSAGE(wait_for([&] { return health(d).value("status", "") == "ok"; }, 10000), d.get("/health").body);
  CHECK(health(d)["storage"]["held_events"] == 0);
  CHECK(json::parse(d.get("/api/v1/status").body)["components"]["journal"]["healthy"] == true);
  CHECK(d.get("/ready").status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto outcomes = load.stop();
  REQUIRE(d.stop() == 0);
  REQUIRE_MESSAGE(verify_log(db, &why) == 0, why);

  std::map<int, int> by_status;
  int complete = 0;
  for (const auto& o : outcomes) {
    ++by_status[o.status];
    if (o.status == 200 && o.complete) ++complete;
    if (o.status == 503) CHECK_MESSAGE(o.body.find("event log unavailable") != std::string::npos, o.body);
    if (o.status == 503) CHECK(o.body.find("sk-storage") == std::string::npos);
    if (o.status == 503) CHECK(o.retry_after == "1");  // the journal retries every second
    CHECK_MESSAGE((o.status == 200 || (o.status == 503 && on_error == "reject")), o.status << " " << o.body);
  }
  MESSAGE(on_error << ": " << outcomes.size() << " requests (" << sent_in_fault << " during the fault): "
                   << by_status[200] << " x 200, " << by_status[503] << " x 503");
  CHECK(sent_in_fault > 0);
  if (on_error == "reject") CHECK(by_status[503] > 0);
  CHECK(complete > 0);

  std::map<std::string, int> created, committed, other;
  std::int64_t committed_requests = 0;
  for (const auto& e : read_events(db)) {
    if (!e["data"].contains("id")) continue;
    const std::string type = e["type"], id = e["data"]["id"];
    if (type == "ReservationCreated") ++created[id];
    if (type == "ReservationCommitted") {
      ++committed[id];
      committed_requests += e["data"]["usage"].value("requests", 0);
    }
    if (type == "ReservationReleased" || type == "ReservationExpired") ++other[id];
  }
  for (const auto& [id, n] : created) CHECK_MESSAGE(committed[id] + other[id] == 1, id);
  for (const auto& o : outcomes)
    if (o.status == 200 && o.complete) CHECK_MESSAGE(committed[o.reservation] == 1, o.reservation);
  const std::int64_t served = json::parse(http_get("127.0.0.1", fake.port(), "/_served").body)["total"]["requests"];
  CHECK(served == committed_requests);
}

}  // namespace

TEST_CASE("disk full under load, on_error: reject — fail closed, nothing lost, recovers when the disk frees") {
  run_storage_fault(disk_full, "reject");
}

TEST_CASE("disk full under load, on_error: allow — keeps serving, the log catches up when the disk frees") {
  run_storage_fault(disk_full, "allow");
}

TEST_CASE("write lock held by another process under load, on_error: reject") {
  run_storage_fault(write_lock, "reject");
}

TEST_CASE("write lock held by another process under load, on_error: allow") {
  run_storage_fault(write_lock, "allow");
}
