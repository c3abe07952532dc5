// cli/memory_release.cpp — see memory_release.hpp.
#include "cli/memory_release.hpp"

#include <malloc.h>

namespace qg {

MemoryRelease::MemoryRelease(std::chrono::milliseconds every) {
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);  // fixed: disables glibc's dynamic raise
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  thread_ = std::thread([this, every] {
    std::unique_lock lock(m_);
    while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
      lock.unlock();
      malloc_trim(0);
      lock.lock();
    }
  });
}

MemoryRelease::~MemoryRelease() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qg
