// cli/daemon.hpp — the process `quotaguard serve` runs: actor system, HTTP listener,
// registered modules (cli/daemon_modules.hpp), /health and /ready, and signal handling.
//
// run(): block SIGINT/SIGTERM in every thread -> start the CAF actor system (sharing
// scheduler, server.threads workers) -> bind the listener and log
// `listening on HOST:PORT` (the real port when 0 was asked) -> start modules in order ->
// mark ready (/ready 200) -> wait for SIGINT/SIGTERM -> stop the listener, stop modules in
// reverse, end the actor system -> return 0. Returns 1 when binding or a module fails.
#pragma once

#include "config/config.hpp"

#include <memory>

namespace qg {

class Daemon {
 public:
  explicit Daemon(Config config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGINT/SIGTERM or request_stop(); returns the process exit code.
  int run();
  // Ends run() from any thread, as SIGTERM would.
  void request_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qg
