// http/elastic_thread_pool.hpp — httplib's worker pool, grown on demand instead of fixed.
//
// httplib 0.11 serves each connection on one worker thread for the connection's whole life,
// idle keep-alive time included. Its fixed ThreadPool(n) therefore lets n idle connections
// starve every other client (measured: 2,000 idle connections delayed a request by 15 s).
// This pool starts a thread whenever a connection arrives and no worker is free, up to
// `max_threads` (server.max_connections), and lets threads beyond `min_threads` exit after
// `idle_exit` without work. An idle connection then costs one parked thread (a few KiB of
// resident stack) until httplib's keep-alive/read timeout closes it, never another client's
// turn. Included only by http_server.cpp and its tests (it needs httplib's TaskQueue).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace qg {

class ElasticThreadPool : public httplib::TaskQueue {
 public:
  ElasticThreadPool(std::size_t min_threads, std::size_t max_threads,
                    std::chrono::milliseconds idle_exit = std::chrono::seconds{30});
  ~ElasticThreadPool() override;

  void enqueue(std::function<void()> fn) override;
  // Runs the queued work, then returns once every worker has exited.
  void shutdown() override;

  std::size_t threads() const;  // workers alive now

 private:
  void spawn();  // with m_ held
  void work();

  const std::size_t min_threads_;
  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_exit_;
  mutable std::mutex m_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  std::deque<std::function<void()>> jobs_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace qg
