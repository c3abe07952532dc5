// messages/wall_clock.hpp — the wall clock as TimeMs (milliseconds since the Unix epoch).
//
// The one place that reads the system clock. Decisions and actors take an injected Clock
// so tests can steer time; system_clock_ms is what production passes in.
#pragma once

#include "messages/event.hpp"

#include <chrono>
#include <functional>

namespace qg {

// An injected clock: what decisions and actors call for "now".
using Clock = std::function<TimeMs()>;

inline TimeMs system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace qg
