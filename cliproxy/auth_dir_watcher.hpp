// cliproxy/auth_dir_watcher.hpp — notice changes in the CLIProxyAPI auth folder (Linux inotify).
//
// Runs one thread that watches the folder for created, written, moved and deleted entries and
// calls `on_change` once per burst of changes, after `debounce_ms` of quiet (CLIProxyAPI
// rewrites files non-atomically, several writes per refresh). If the folder does not exist
// yet, or is deleted and recreated, the watch is re-added every `retry_ms`. The callback runs
// on the watcher thread and should only post a message (the lead's discovery actor rescans).
// The periodic rescan (`cliproxy.rescan_interval`) is a separate timer: the watcher is an
// accelerator, not the only trigger. `stop()` (also from the destructor) joins the thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace qg::cliproxy {

class AuthDirWatcher {
 public:
  struct Options {
    int debounce_ms = 300;
    int max_delay_ms = 2000;   // a steady stream of writes still triggers this often
    int retry_ms = 2000;       // re-try adding the watch when the folder is missing
  };

  AuthDirWatcher(std::string dir, std::function<void()> on_change);
  AuthDirWatcher(std::string dir, std::function<void()> on_change, Options options);
  ~AuthDirWatcher();
  AuthDirWatcher(const AuthDirWatcher&) = delete;
  AuthDirWatcher& operator=(const AuthDirWatcher&) = delete;

  // Starts the thread; false (with `error()`) when inotify is unavailable.
  bool start();
  void stop();
  const std::string& error() const { return error_; }
  // True while a watch is installed on the folder (tests wait for it before writing).
  bool watching() const { return watching_.load(); }

 private:
  void run(int wd);

  std::string dir_;
  std::function<void()> on_change_;
  Options options_;
  std::thread thread_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd written by stop()
  std::atomic<bool> watching_{false};
  std::atomic<bool> stopping_{false};
  std::string error_;
};

}  // namespace qg::cliproxy
