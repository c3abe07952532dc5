// cliproxy/auth_dir_watcher.cpp — see auth_dir_watcher.hpp.
#include "cliproxy/auth_dir_watcher.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace qg::cliproxy {
namespace {

constexpr std::uint32_t kMask = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
                                IN_MOVE_SELF | IN_ONLYDIR;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AuthDirWatcher::AuthDirWatcher(std::string dir, std::function<void()> on_change)
    : AuthDirWatcher(std::move(dir), std::move(on_change), Options{}) {}

AuthDirWatcher::AuthDirWatcher(std::string dir, std::function<void()> on_change, Options options)
    : dir_(std::move(dir)), on_change_(std::move(on_change)), options_(options) {}

AuthDirWatcher::~AuthDirWatcher() { stop(); }

bool AuthDirWatcher::start() {
  if (thread_.joinable()) return true;
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    error_ = std::string("inotify_init1: ") + std::strerror(errno);
    return false;
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    error_ = std::string("eventfd: ") + std::strerror(errno);
    ::close(inotify_fd_);
    inotify_fd_ = -1;
    return false;
  }
  stopping_ = false;
  // The first watch is added here so that `watching()` is settled when start() returns.
  int wd = inotify_add_watch(inotify_fd_, dir_.c_str(), kMask);
  watching_ = wd >= 0;
  thread_ = std::thread([this, wd] { run(wd); });
  return true;
}

void AuthDirWatcher::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(inotify_fd_);
  ::close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
  watching_ = false;
}

void AuthDirWatcher::run(int wd) {
  std::int64_t first_change = 0, last_change = 0;
  std::int64_t next_retry = wd < 0 ? now_ms() + options_.retry_ms : 0;
  alignas(inotify_event) char buf[8192];
  while (!stopping_) {
    std::int64_t now = now_ms();
    if (wd < 0 && now >= next_retry) {
      wd = inotify_add_watch(inotify_fd_, dir_.c_str(), kMask);
      watching_ = wd >= 0;
      if (wd < 0) {
        next_retry = now + options_.retry_ms;
      } else if (next_retry != 0) {
        // The folder (re)appeared after a gap: its contents may have changed meanwhile.
        first_change = first_change ? first_change : now;
        last_change = now;
      }
    }
    int timeout = -1;
    if (first_change) {
      std::int64_t due = std::min(last_change + options_.debounce_ms, first_change + options_.max_delay_ms);
      timeout = static_cast<int>(std::max<std::int64_t>(0, due - now));
    }
    if (wd < 0) {
      int until_retry = static_cast<int>(std::max<std::int64_t>(0, next_retry - now));
      timeout = timeout < 0 ? until_retry : std::min(timeout, until_retry);
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int rc = ::poll(fds, 2, timeout);
    if (stopping_) break;
    if (rc < 0 && errno != EINTR) break;
    now = now_ms();
    if (rc > 0 && (fds[0].revents & POLLIN)) {
      ssize_t len;
      while ((len = ::read(inotify_fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
            if (wd >= 0 && !(ev->mask & IN_IGNORED)) inotify_rm_watch(inotify_fd_, wd);
            wd = -1;
            watching_ = false;
            next_retry = now + options_.retry_ms;
          }
          if (!first_change) first_change = now;
          last_change = now;
          p += sizeof(inotify_event) + ev->len;
        }
      }
    }
    if (first_change &&
        (now >= last_change + options_.debounce_ms || now >= first_change + options_.max_delay_ms)) {
      first_change = last_change = 0;
      if (on_change_) on_change_();
    }
  }
}

}  // namespace qg::cliproxy
