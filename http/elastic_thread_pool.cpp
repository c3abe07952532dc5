// http/elastic_thread_pool.cpp — see elastic_thread_pool.hpp.
#include "http/elastic_thread_pool.hpp"

#include <algorithm>
#include <thread>

namespace qg {

ElasticThreadPool::ElasticThreadPool(std::size_t min_threads, std::size_t max_threads,
                                     std::chrono::milliseconds idle_exit)
    : min_threads_(std::min(min_threads, std::max<std::size_t>(max_threads, 1))),
      max_threads_(std::max<std::size_t>(max_threads, 1)),
      idle_exit_(idle_exit) {
  std::lock_guard lock(m_);
  while (threads_ < min_threads_) spawn();
}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

void ElasticThreadPool::spawn() {
  ++threads_;
  std::thread([this] { work(); }).detach();
}

void ElasticThreadPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(m_);
  jobs_.push_back(std::move(fn));
  // Every queued job beyond the parked workers gets a thread of its own, up to the cap.
  if (jobs_.size() > idle_ && threads_ < max_threads_) spawn();
  work_cv_.notify_one();
}

void ElasticThreadPool::work() {
  std::unique_lock lock(m_);
  while (true) {
    ++idle_;
    const bool woke = work_cv_.wait_for(lock, idle_exit_, [this] { return shutdown_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) {
      if (shutdown_ || (!woke && threads_ > min_threads_)) break;
      continue;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // the connection's captures go now, not at the next job
    lock.lock();
  }
  --threads_;
  exit_cv_.notify_all();  // under the lock: shutdown() cannot return before we released it
}

void ElasticThreadPool::shutdown() {
  std::unique_lock lock(m_);
  shutdown_ = true;
  work_cv_.notify_all();
  exit_cv_.wait(lock, [this] { return threads_ == 0; });
}

std::size_t ElasticThreadPool::threads() const {
  std::lock_guard lock(m_);
  return threads_;
}

}  // namespace qg
