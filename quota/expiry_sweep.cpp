// quota/expiry_sweep.cpp — the TTL sweep's rule (see the header).
#include "quota/expiry_sweep.hpp"

namespace qg {

SweepVerdict sweep_verdict(const Reservation& r, TimeMs now, const SweepContext& c) {
  if (now < r.expires_at) return SweepVerdict::not_due;
  if (r.node == c.self) return SweepVerdict::expire;
  if (now - r.created_at <= c.young_ms || (c.live && c.live(r.node))) return SweepVerdict::writer_live;
  return c.holds_duties ? SweepVerdict::expire : SweepVerdict::not_holder;
}

std::vector<std::string> reservations_to_expire(const AccountState& s, TimeMs now, const SweepContext& c) {
  std::vector<std::string> out;
  for (const auto& [id, r] : s.reservations)
    if (sweep_verdict(r, now, c) == SweepVerdict::expire) out.push_back(id);
  return out;
}

}  // namespace qg
