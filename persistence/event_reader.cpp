// persistence/event_reader.cpp — see event_reader.hpp.
#include "persistence/event_reader.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace qg {

namespace {

constexpr std::size_t kBatch = 1024;  // events per hand-over
constexpr std::size_t kAhead = 4;     // batches the reader may be ahead

// The batches between the reader thread and the caller.
struct Handover {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::vector<Event>> ready;
  bool reader_done = false;
  bool stop = false;  // the caller wants no more
  std::exception_ptr error;

  // Reader side: false when the caller stopped.
  bool put(std::vector<Event>&& batch) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return ready.size() < kAhead || stop; });
    if (stop) return false;
    ready.push_back(std::move(batch));
    cv.notify_all();
    return true;
  }
  // Caller side: false once the reader is done and everything was taken.
  bool take(std::vector<Event>& batch) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return !ready.empty() || reader_done; });
    if (ready.empty()) return false;
    batch = std::move(ready.front());
    ready.pop_front();
    cv.notify_all();
    return true;
  }
  void finish_reading(std::exception_ptr e) {
    std::lock_guard lock(m);
    error = std::move(e);
    reader_done = true;
    cv.notify_all();
  }
  void stop_reading() {
    std::lock_guard lock(m);
    stop = true;
    cv.notify_all();
  }
};

void read(EventLog& log, const ScanRange& range, Handover& h) {
  std::vector<Event> batch;
  batch.reserve(kBatch);
  bool open = true;
  log.scan(range, [&](const EventRow& row) {
    batch.push_back(decode_row(row, nullptr));
    if (batch.size() < kBatch) return true;
    open = h.put(std::move(batch));
    batch = {};
    batch.reserve(kBatch);
    return open;
  });
  if (open && !batch.empty()) h.put(std::move(batch));
}

}  // namespace

void read_events_ahead(EventLog& log, const ScanRange& range, const std::function<bool(Event&)>& each) {
  Handover h;
  std::thread reader([&] {
    std::exception_ptr error;
    try {
      read(log, range, h);
    } catch (...) {
      error = std::current_exception();
    }
    h.finish_reading(std::move(error));
  });
  std::exception_ptr failed;
  try {
    std::vector<Event> batch;
    bool more = true;
    while (more && h.take(batch))
      for (auto& e : batch)
        if (!(more = each(e))) break;
  } catch (...) {
    failed = std::current_exception();
  }
  h.stop_reading();
  reader.join();
  if (failed) std::rethrow_exception(failed);
  if (h.error) std::rethrow_exception(h.error);
}

}  // namespace qg
