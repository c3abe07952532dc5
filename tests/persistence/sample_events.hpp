// tests/persistence/sample_events.hpp — test helpers: one sample of every event payload, and
// a seeded generator of plausible random event streams (accounts, reservations, observations).
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace qg::test {

// One fully populated payload of every EventPayload alternative except UnknownEvent.
std::vector<EventPayload> sample_payloads();

// A stream of events that make sense together (resolutions name open reservations, ...).
class RandomLog {
 public:
  explicit RandomLog(std::uint32_t seed, TimeMs start = 1'790'000'000'000);
  Event next();                       // seq 0; ts advancing by 0..90 s
  std::vector<Event> take(std::size_t n);

 private:
  std::string pick_account();
  std::mt19937 rng_;
  TimeMs now_;
  std::vector<std::string> accounts_;
  std::vector<std::pair<std::string, std::string>> open_;  // (account, reservation id)
  std::uint64_t next_id_ = 1;
};

}  // namespace qg::test
