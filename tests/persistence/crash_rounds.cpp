// tests/persistence/crash_rounds.cpp — see crash_rounds.hpp.
#include "tests/persistence/crash_rounds.hpp"

#include "persistence/event_log.hpp"
#include "persistence/replay.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

namespace qg::test {

namespace {

struct ChildRun {
  std::vector<std::uint64_t> acked;
};

// Starts the child, lets it append until `kill_after` past its first ack, SIGKILLs it and
// returns the acks it printed (all of them: the pipe is drained to EOF after the kill).
ChildRun run_and_kill(const std::string& target, const char* sync, std::chrono::milliseconds kill_after) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(QG_CRASH_CHILD, QG_CRASH_CHILD, target.c_str(), sync, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  ChildRun run;
  std::string buffer;
  auto consume = [&](const char* data, ssize_t n) {
    buffer.append(data, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (line.rfind("ack ", 0) == 0) run.acked.push_back(std::stoull(line.substr(4)));
    }
  };
  using clock = std::chrono::steady_clock;
  const auto give_up = clock::now() + std::chrono::seconds(10);
  std::optional<clock::time_point> deadline;
  char chunk[4096];
  while (true) {
    const auto now = clock::now();
    if (now > give_up || (deadline && now >= *deadline)) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) {
      const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n <= 0) break;  // the child died by itself
      consume(chunk, n);
      if (!deadline && !run.acked.empty()) deadline = clock::now() + kill_after;
    }
  }
  ::kill(pid, SIGKILL);
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) consume(chunk, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK_MESSAGE(WIFSIGNALED(status), "the child exited by itself (status ", status, ")");
  return run;
}

}  // namespace

std::uint64_t run_crash_rounds(const std::string& target, const StorageConfig& storage, int rounds,
                               std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uint64_t previous_last = 0;
  std::size_t total_acks = 0;
  for (int round = 0; round < rounds; ++round) {
    const char* sync = round % 2 ? "full" : "normal";
    const auto kill_after = std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 250)(rng));
    CAPTURE(round);
    CAPTURE(sync);
    const ChildRun run = run_and_kill(target, sync, kill_after);
    REQUIRE_FALSE(run.acked.empty());
    total_acks += run.acked.size();

    std::ostringstream out, err;
    ReplayOptions verify;
    verify.storage = storage;
    verify.verify = true;
    const int rc = run_replay(verify, out, err);
    CAPTURE(out.str());
    CAPTURE(err.str());
    REQUIRE(rc == 0);

    const std::uint64_t last = open_event_log(storage, OpenMode::read_only)->last_seq();
    for (std::uint64_t seq : run.acked) {
      CHECK(seq <= last);
      CHECK(seq > previous_last);
    }
    previous_last = last;
  }
  MESSAGE("crash test: ", rounds, " kills, ", total_acks, " acknowledged appends, log ends at seq ",
          previous_last);
  return previous_last;
}

}  // namespace qg::test
