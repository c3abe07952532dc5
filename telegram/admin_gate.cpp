// telegram/admin_gate.cpp — admin check and throttled refusals.
#include "telegram/admin_gate.hpp"

namespace qg::telegram {

AdminGate::AdminGate(std::vector<std::int64_t> admins, TimeMs refusal_quiet_ms)
    : admins_(admins.begin(), admins.end()), quiet_ms_(refusal_quiet_ms) {}

bool AdminGate::should_refuse(std::int64_t user_id, TimeMs now) {
  if (refused_at_.size() > 4096) {  // bound memory: drop entries whose quiet period is over
    for (auto it = refused_at_.begin(); it != refused_at_.end();)
      it = now - it->second >= quiet_ms_ ? refused_at_.erase(it) : std::next(it);
  }
  auto it = refused_at_.find(user_id);
  if (it != refused_at_.end() && now - it->second < quiet_ms_) return false;
  refused_at_[user_id] = now;
  return true;
}

}  // namespace qg::telegram
