// messages/journal_health.hpp — whether the journal is writing, readable from any thread.
//
// The journal actor updates it after every commit attempt. Account actors read it before
// admitting a request (storage.on_error: reject refuses at once while the log cannot be
// written), and /health, /ready, /api/v1/status and /metrics report it.
//
// While writes fail (disk full, read-only file system, another process holding the write
// lock), the journal keeps the events it could not write, in order, in memory ("held"), and
// retries; on the first successful commit they are written ahead of anything newer.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace qg {

class JournalHealth {
 public:
  struct View {
    bool ok = true;
    std::size_t held = 0;  // events waiting in memory for the log
    std::string error;     // the last write error while !ok
  };

  bool ok() const noexcept { return ok_.load(std::memory_order_acquire); }
  std::size_t held() const noexcept { return held_.load(std::memory_order_acquire); }

  View view() const {
    std::lock_guard lock(mutex_);
    return View{ok(), held(), error_};
  }

  void failing(std::string error, std::size_t held) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    held_.store(held, std::memory_order_release);
    ok_.store(false, std::memory_order_release);
  }

  void recovered() {
    std::lock_guard lock(mutex_);
    error_.clear();
    held_.store(0, std::memory_order_release);
    ok_.store(true, std::memory_order_release);
  }

 private:
  std::atomic<bool> ok_{true};
  std::atomic<std::size_t> held_{0};
  mutable std::mutex mutex_;
  std::string error_;
};

}  // namespace qg
