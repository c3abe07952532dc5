// cliproxy/collector_cycle.hpp — one poll cycle of the CLIProxyAPI quota collector.
//
// Glue between ManagementClient (I/O) and collector_policy (decisions), so the collector
// actor only schedules cycles and journals what they return:
//
//   CollectorState st;                      // kept by the actor between cycles
//   auto r = run_collector_cycle(client, accounts, cooldowns, now, st, base_ms);
//   journal(r.events);                       // in order
//   if (r.stop) { alert(r.alert); stop polling until the key/config changes; }
//   else schedule(next_poll_delay({base_ms, requests_since_last, r.max_used_percent, rand01()}));
//
// Synchronous and blocking (HTTP); run it off the actor scheduler's hot threads (a
// blocking/detached actor). `now` is the cycle's timestamp for every event.
#pragma once

#include "cliproxy/collector_policy.hpp"
#include "cliproxy/management_client.hpp"

#include <map>
#include <string>
#include <vector>

namespace qg::cliproxy {

struct CollectorState {
  int consecutive_failures = 0;   // transient listing failures in a row
};

struct CycleResult {
  std::vector<Event> events;          // CooldownStarted/Ended, QuotaObserved (poll), in order
  bool stop = false;                  // 401 / ban / 404: stop polling (see `action`)
  CollectorAction action = CollectorAction::retry_next_poll;
  std::string alert;                  // one line to log / send once; "" = nothing to say
  TimeMs retry_in_ms = 0;             // after a transient failure: wait this long
  double max_used_percent = 0;        // highest poll window seen (feeds next_poll_delay)
  int polled = 0;                     // quota bodies recorded
  int resets = 0;                     // reset-quota calls that succeeded
  std::vector<std::string> notes;     // debug lines (no secrets)
};

CycleResult run_collector_cycle(ManagementClient& client,
                                const std::map<std::string, AccountSpec>& accounts,
                                const std::map<std::string, KnownCooldown>& cooldowns, TimeMs now,
                                CollectorState& state, TimeMs base_ms);

}  // namespace qg::cliproxy
