// persistence/wal_checkpointer.hpp — the SQLite event log's WAL checkpoints on a thread of their
// own, off the writer's commits.
//
// SQLite's auto-checkpoint runs inside the commit that takes the WAL past 1,000 frames: the
// journal's thread then copies the WAL into the database file and syncs both, and every
// reservation queued behind that commit waits for it (docs/PERFORMANCE.md, "Issue 17, fifth
// pass"). Attached to the writer's connection, a WalCheckpointer turns that off (its WAL hook
// replaces the auto-checkpoint's) and:
//   - background: once a commit leaves `start_frames` or more frames in the WAL, a PASSIVE
//     checkpoint runs from a second connection on the checkpointer's thread, and again after
//     each later commit until the whole WAL is in the database file; the writer then starts the
//     WAL over at its next transaction, as after an auto-checkpoint. A PASSIVE checkpoint never
//     waits for the writer or a reader, and they never wait for it;
//   - inline: a commit that still leaves `inline_frames` or more (background checkpoints that
//     could not catch up with back-to-back commits) runs the PASSIVE checkpoint itself, in the
//     commit, as the auto-checkpoint did: it copies what the background left, and the next
//     transaction starts the WAL over. That bounds the WAL as before, at a larger bound.
// Both kinds are PASSIVE: neither waits for a reader (a reader that holds an old snapshot keeps
// the WAL from starting over, as with the auto-checkpoint).
// Durability is unchanged: a commit is durable in the WAL (synced at COMMIT per
// `storage.synchronous`) whoever copies it later; the checkpoint connection has the writer's
// `synchronous`, so a checkpoint syncs the WAL before and the database file after copying, and a
// crash at any instant of it leaves the WAL to be replayed at the next open (docs/EVENT_LOG.md §1).
#pragma once

#include "persistence/database.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace qg {

struct WalCheckpointOptions {
  int start_frames = 1000;   // SQLite's auto-checkpoint threshold
  int inline_frames = 4000;  // ~16 MiB of 4 KiB pages
};

// Whether a commit that left `frames` in the WAL asks for a checkpoint, and which: a pure
// decision, tested without a thread.
enum class WalCheckpointNeed { none, background, inline_ };
WalCheckpointNeed wal_checkpoint_need(const WalCheckpointOptions& options, int frames);

class WalCheckpointer {
 public:
  // `writer` must outlive this object; its auto-checkpoint stays off while this exists.
  // Opens the second connection (throws StorageError) and starts the thread.
  explicit WalCheckpointer(Database& writer, WalCheckpointOptions options = {});
  ~WalCheckpointer();  // stops the thread, gives the writer SQLite's auto-checkpoint back
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run();

  Database& writer_;
  WalCheckpointOptions options_;
  std::unique_ptr<Database> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t commits_ = 0;       // commits seen by the hook
  std::uint64_t commits_done_ = 0;  // the commit count the last background checkpoint ran after
  int frames_ = 0;                  // frames in the WAL after the last commit
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace qg
