// persistence/pg_pool.cpp — see pg_pool.hpp.
#include "persistence/pg_pool.hpp"

namespace qg {

PgPool::PgPool(PgOptions options, std::size_t max)
    : options_(std::move(options)), max_(max == 0 ? 1 : max) {
  idle_.push_back(PgConnection::connect(options_));
  where_ = idle_.back()->where();
  open_ = 1;
}

PgPool::Lease PgPool::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, PgConnection::connect(options_));
  } catch (...) {
    std::lock_guard again(mutex_);
    --open_;
    freed_.notify_one();
    throw;
  }
}

void PgPool::give_back(std::unique_ptr<PgConnection> c) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(c));
  freed_.notify_one();
}

}  // namespace qg
