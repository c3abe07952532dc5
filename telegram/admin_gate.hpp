// telegram/admin_gate.hpp — who the bot obeys, and how often it says no.
//
// Only user ids listed in telegram.admins are obeyed. Anyone else who sends one of our
// commands gets one refusal showing their user id (so the operator can add it to the config)
// and then silence for `refusal_quiet_ms`, so a stranger cannot make the bot reply-storm.
// An empty admin list obeys nobody. Pure, injected time, not thread-safe.
#pragma once

#include "messages/event.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace qg::telegram {

class AdminGate {
 public:
  explicit AdminGate(std::vector<std::int64_t> admins, TimeMs refusal_quiet_ms = 10 * 60 * 1000);

  bool is_admin(std::int64_t user_id) const { return admins_.count(user_id) > 0; }
  // For a non-admin: true when a refusal should be sent now (and records it).
  bool should_refuse(std::int64_t user_id, TimeMs now);

 private:
  std::set<std::int64_t> admins_;
  TimeMs quiet_ms_;
  std::map<std::int64_t, TimeMs> refused_at_;
};

}  // namespace qg::telegram
