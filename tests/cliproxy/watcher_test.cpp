// tests/cliproxy/watcher_test.cpp — the inotify watcher on a real temp folder.
#include "cliproxy/auth_dir_watcher.hpp"
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace qg::cliproxy;
using namespace qg::cliproxy::test;

namespace {
struct Counter {
  std::mutex m;
  std::condition_variable cv;
  int n = 0;
  void bump() { std::lock_guard l(m); ++n; cv.notify_all(); }
  bool wait_for(int target, int ms) {
    std::unique_lock l(m);
    return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return n >= target; });
  }
  int get() { std::lock_guard l(m); return n; }
};
bool wait_watching(const AuthDirWatcher& w) {
  for (int i = 0; i < 200 && !w.watching(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return w.watching();
}
}  // namespace

TEST_CASE("watcher: a burst of writes gives one debounced callback - stop() joins") {
  TempDir tmp;
  Counter calls;
  // The quiet time is long enough that a loaded machine (the suite runs in parallel under
  // ASan) cannot stall the five writes into two bursts, as it once did with 50 ms.
  AuthDirWatcher w(tmp.path().string(), [&] { calls.bump(); }, {400, 5000, 50});
  REQUIRE(w.start());
  REQUIRE(wait_watching(w));
  for (int i = 0; i < 5; ++i) write_file(tmp.path() / "a.json", std::string(i + 1, 'x'));
  CHECK(calls.wait_for(1, 3000));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // longer than the quiet time
  CHECK(calls.get() == 1);
  std::filesystem::remove(tmp.path() / "a.json");
  CHECK(calls.wait_for(2, 3000));
  w.stop();
  CHECK_FALSE(w.watching());
}

TEST_CASE("watcher: folder created after start is picked up") {
  TempDir tmp;
  auto dir = tmp.path() / "later";
  Counter calls;
  AuthDirWatcher w(dir.string(), [&] { calls.bump(); }, {20, 500, 20});
  REQUIRE(w.start());
  CHECK_FALSE(w.watching());
  std::filesystem::create_directories(dir);
  CHECK(calls.wait_for(1, 3000));  // appearing counts as a change
  REQUIRE(wait_watching(w));
  write_file(dir / "b.json", "{}");
  CHECK(calls.wait_for(2, 3000));
}
