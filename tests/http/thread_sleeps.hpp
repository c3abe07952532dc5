// tests/http/thread_sleeps.hpp — how often a thread of this process slept, from /proc: a
// listener's idle keep-alive connection must leave its thread asleep (one wait), not waking it
// in a poll-and-sleep loop (http/connection_stream.hpp; keep_alive_server_test, keep_alive_tls_test).
#pragma once

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace qg::test {

// The thread's voluntary context switches so far (each time it went to sleep), -1 if unknown.
inline long sleeps_of(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(24));
  return -1;
}

// The times thread `tid` woke in 300 ms while its connection sent nothing (after 100 ms for
// the thread to get back to its wait); -1 if unknown. httplib 0.11's own loops poll 10 ms and
// sleep 1 ms: ~50 in this time.
inline long wakeups_while_idle(long tid) {
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const long before = sleeps_of(tid);
  if (before < 0) return -1;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return sleeps_of(tid) - before;
}

}  // namespace qg::test
