// messages/live_reservations.cpp — see live_reservations.hpp.
#include "messages/live_reservations.hpp"

#include <mutex>
#include <unordered_map>

namespace qg {
namespace {

struct Registry {
  std::mutex m;
  std::unordered_map<std::string, int> live;  // id -> tokens held
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

LiveReservation::LiveReservation(std::string id) : id_(std::move(id)) {
  auto& r = registry();
  std::lock_guard lock(r.m);
  ++r.live[id_];
}

LiveReservation::~LiveReservation() {
  auto& r = registry();
  std::lock_guard lock(r.m);
  auto it = r.live.find(id_);
  if (it != r.live.end() && --it->second <= 0) r.live.erase(it);
}

bool reservation_live(const std::string& id) {
  auto& r = registry();
  std::lock_guard lock(r.m);
  return r.live.count(id) > 0;
}

}  // namespace qg
