// persistence/leader_decision.cpp — the leadership rules (see the header).
#include "persistence/leader_decision.hpp"

namespace qg {

LeaderStep next_leader_step(LeaderState& state, LockProbe probe, TimeMs now, const LeaderTiming& timing) {
  LeaderStep step;
  const bool had = state.holding;
  bool holds = had;
  switch (probe) {
    case LockProbe::acquired:
    case LockProbe::held:
      holds = true;
      step.next_probe_at = now + timing.check_every_ms;
      break;
    case LockProbe::busy:
    case LockProbe::lost:
      holds = false;
      step.next_probe_at = now + timing.try_every_ms;
      break;
    case LockProbe::failed:
      holds = false;
      step.reconnect = true;
      step.next_probe_at = now + timing.retry_after_failure_ms;
      break;
  }
  if (holds != had) {
    state.holding = holds;
    state.since = now;
    if (holds) ++state.terms;
    step.change = holds ? LeaderChange::elected : LeaderChange::deposed;
  }
  // A holder that lost the lock tries again at once: nobody may hold it now.
  if (had && probe == LockProbe::lost) step.next_probe_at = now;
  return step;
}

bool node_live(TimeMs last_seen, TimeMs now, TimeMs beat_every_ms) {
  return now - last_seen <= 3 * beat_every_ms;
}

}  // namespace qg
