// persistence/wal_checkpointer.cpp — see wal_checkpointer.hpp.
#include "persistence/wal_checkpointer.hpp"

#include "metrics/quotaguard_metrics.hpp"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace qg {

namespace {

// One PASSIVE checkpoint on `db`, timed into quotaguard_journal_checkpoint_seconds{mode}. Busy
// (another checkpoint under way) or failed: the next commit asks again.
void checkpoint(sqlite3* db, const char* mode) {
  const auto started = std::chrono::steady_clock::now();
  const int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  metrics::journal_checkpoint_seconds().with({mode}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    spdlog::warn("journal: WAL checkpoint ({}) failed: {}", mode, sqlite3_errmsg(db));
}

}  // namespace

WalCheckpointNeed wal_checkpoint_need(const WalCheckpointOptions& options, int frames) {
  if (frames >= options.inline_frames) return WalCheckpointNeed::inline_;
  if (frames >= options.start_frames) return WalCheckpointNeed::background;
  return WalCheckpointNeed::none;
}

WalCheckpointer::WalCheckpointer(Database& writer, WalCheckpointOptions options)
    : writer_(writer), options_(options) {
  DatabaseOptions o;
  o.path = writer.path();
  o.mode = OpenMode::read_write;
  o.synchronous = writer.synchronous();  // a checkpoint syncs as the writer's commits do
  o.busy_timeout_ms = writer.busy_timeout_ms();
  connection_ = Database::open(o);
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);  // auto-checkpoint off
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_wal_autocheckpoint(writer_.handle(), 1000);  // SQLite's default hook again
}

// On the writer's thread, after each commit in WAL mode: notes the WAL's size, wakes the thread
// when that asks for a background checkpoint, checkpoints itself past the inline bound. Never
// fails the commit.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char*, int frames) {
  auto& c = *static_cast<WalCheckpointer*>(self);
  const WalCheckpointNeed need = wal_checkpoint_need(c.options_, frames);
  {
    std::lock_guard<std::mutex> lock(c.mutex_);
    ++c.commits_;
    c.frames_ = frames;
  }
  if (need == WalCheckpointNeed::background) c.wake_.notify_one();
  if (need == WalCheckpointNeed::inline_) checkpoint(db, "inline");
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    // Once per commit at most: a checkpoint that could not copy everything (the writer appended
    // meanwhile) is tried again after the next commit, not in a loop.
    wake_.wait(lock, [&] {
      return stop_ || (commits_ != commits_done_ && wal_checkpoint_need(options_, frames_) != WalCheckpointNeed::none);
    });
    if (stop_) return;
    commits_done_ = commits_;
    lock.unlock();
    checkpoint(connection_->handle(), "background");
    lock.lock();
  }
}

}  // namespace qg
