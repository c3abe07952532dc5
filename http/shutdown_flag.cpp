// http/shutdown_flag.cpp
#include "http/shutdown_flag.hpp"

#include <atomic>

namespace qg {
namespace {
std::atomic<bool> flag{false};
std::atomic<std::int64_t> inflight{0};
}  // namespace
InflightRequest::InflightRequest() { inflight.fetch_add(1, std::memory_order_relaxed); }
InflightRequest::~InflightRequest() { inflight.fetch_sub(1, std::memory_order_release); }
std::int64_t inflight_requests() { return inflight.load(std::memory_order_acquire); }
void request_stream_shutdown() { flag.store(true, std::memory_order_release); }
bool stream_shutdown_requested() { return flag.load(std::memory_order_acquire); }
}  // namespace qg
