// http/shutdown_flag.cpp
#include "http/shutdown_flag.hpp"

#include <atomic>

namespace qg {
namespace {
std::atomic<bool> flag{false};
}
void request_stream_shutdown() { flag.store(true, std::memory_order_release); }
bool stream_shutdown_requested() { return flag.load(std::memory_order_acquire); }
}  // namespace qg
