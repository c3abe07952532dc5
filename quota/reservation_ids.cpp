// quota/reservation_ids.cpp
#include "quota/reservation_ids.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>

namespace qg {

std::string new_reservation_id() {
  static const std::uint64_t boot = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<std::uint32_t> counter{0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "res_%016llx%08x", static_cast<unsigned long long>(boot),
                counter.fetch_add(1, std::memory_order_relaxed));
  return buf;
}

}  // namespace qg
