// persistence/pg_pool.hpp — at most N PostgreSQL connections shared by the threads of a node.
//
// The first connection opens with the pool (so a bad DSN or a down server fails at start-up,
// with libpq's reason); more open on demand up to `max`; a thread that finds all in use waits
// for one. A lease gives its connection back when it goes away. A connection that broke is
// handed out again and reconnects before its next statement (PgConnection).
#pragma once

#include "persistence/pg_connection.hpp"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace qg {

class PgPool {
 public:
  PgPool(PgOptions options, std::size_t max);  // throws StorageError
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> c) : pool_(&pool), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() { if (c_) pool_->give_back(std::move(c_)); }
    PgConnection& operator*() const { return *c_; }
    PgConnection* operator->() const { return c_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> c_;
  };

  Lease acquire();  // throws StorageError when a new connection cannot be opened
  const std::string& where() const { return where_; }
  bool read_only() const { return options_.read_only; }

 private:
  void give_back(std::unique_ptr<PgConnection> c);

  PgOptions options_;
  std::size_t max_;
  std::string where_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_ = 0;  // idle + leased
};

}  // namespace qg
