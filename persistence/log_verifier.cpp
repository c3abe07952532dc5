// persistence/log_verifier.cpp — seq, reservation-ledger and snapshot invariants.
#include "persistence/log_verifier.hpp"
#include "messages/window_label.hpp"
#include "messages/usage_range.hpp"

#include "persistence/state_codec.hpp"

namespace qg {

namespace {

std::string at(std::uint64_t seq) { return "seq " + std::to_string(seq) + ": "; }

std::string window_name(const QuotaWindow& w) {
  return std::string(to_string(w.metric)) + "/" + window_label(w.window_s) +
         (w.origin == WindowOrigin::config ? " (config)" : " (observed)");
}

// The first field in which two account states differ, for the violation message.
std::string first_difference(const AccountState& a, const AccountState& b) {
  if (a.spec != b.spec) return "spec";
  if (a.removed != b.removed || a.drained != b.drained) return "removed/drained flags";
  if (a.cooldown_until != b.cooldown_until || a.cooldown_reason != b.cooldown_reason ||
      a.cooldown_detail != b.cooldown_detail)
    return "cooldown";
  if (a.windows != b.windows) return "windows";
  if (a.reservations != b.reservations)
    return "open reservations (" + std::to_string(a.reservations.size()) + " in snapshot, " +
           std::to_string(b.reservations.size()) + " from events)";
  if (a.counters != b.counters) return "counters";
  return "last_event_at";
}

}  // namespace

void LogVerifier::add(std::uint64_t seq, const char* kind, std::string message) {
  violations_.push_back(Violation{seq, kind, at(seq) + std::move(message)});
}

namespace {
std::string usage_text(const Usage& u) {
  return " (requests " + std::to_string(u.requests) + ", input_tokens " + std::to_string(u.input_tokens) +
         ", output_tokens " + std::to_string(u.output_tokens) + "; each must be 0.." +
         std::to_string(kMaxUsagePerRequest) + ")";
}
}  // namespace

std::uint32_t LogVerifier::account_index(const std::string& account) {
  auto [it, inserted] = account_ids_.try_emplace(account, static_cast<std::uint32_t>(account_names_.size()));
  if (inserted) account_names_.push_back(account);
  return it->second;
}

void LogVerifier::observe(const Event& e, const std::string& decode_warning, bool malformed) {
  ++events_;
  if (e.seq != expected_seq_)
    add(e.seq, "gap", e.seq < expected_seq_
                          ? "seq not increasing (previous was " + std::to_string(expected_seq_ - 1) + ")"
                          : "gap: expected seq " + std::to_string(expected_seq_));
  expected_seq_ = e.seq + 1;
  if (malformed) add(e.seq, "malformed", decode_warning);
  else if (!decode_warning.empty()) ++warnings_;

  if (const auto* c = std::get_if<ReservationCreated>(&e.payload); c && !usage_in_range(c->estimate))
    add(e.seq, "usage_range", "reservation " + c->id + " estimate out of range" + usage_text(c->estimate));
  if (const auto* v = std::get_if<ReservationCommitted>(&e.payload); v && !usage_in_range(v->usage))
    add(e.seq, "usage_range", "reservation " + v->id + " committed usage out of range" + usage_text(v->usage));
  if (const auto* q = std::get_if<QuotaObserved>(&e.payload))
    for (const auto& w : q->windows)
      if (w.limit < 0 || w.used < 0 || w.window_s < 0)
        add(e.seq, "usage_range", std::string("observed window ") + to_string(w.metric) + " has a negative number");

  if (const auto* c = std::get_if<ReservationCreated>(&e.payload)) {
    auto [it, inserted] = reservations_.try_emplace(c->id);
    if (!inserted) {
      add(e.seq, "duplicate", "reservation " + c->id + " created again (first at seq " +
                                  std::to_string(it->second.created_seq) + ")");
      return;
    }
    it->second.created_seq = e.seq;
    it->second.account = account_index(e.account);
  } else if (const auto* v = std::get_if<ReservationCommitted>(&e.payload)) {
    resolve(e, v->id);
  } else if (const auto* v = std::get_if<ReservationReleased>(&e.payload)) {
    resolve(e, v->id);
  } else if (const auto* v = std::get_if<ReservationExpired>(&e.payload)) {
    resolve(e, v->id);
  }
}

void LogVerifier::resolve(const Event& e, const std::string& id) {
  const std::string what = std::string(event_type(e)) + " of reservation " + id;
  auto it = reservations_.find(id);
  if (it == reservations_.end()) {
    add(e.seq, "unknown", what + ", which was never created");
    return;
  }
  auto& r = it->second;
  if (r.resolved_seq != 0) {
    add(e.seq, "resolved_twice", what + ", already resolved at seq " + std::to_string(r.resolved_seq));
    return;
  }
  r.resolved_seq = e.seq;
  if (account_names_[r.account] != e.account)
    add(e.seq, "wrong_account", what + " by account \"" + e.account + "\", created by \"" +
                                    account_names_[r.account] + "\"");
}

void LogVerifier::bad_snapshot(std::uint64_t seq, const std::string& why) {
  add(seq, "snapshot", "snapshot " + why);
}

void LogVerifier::check_snapshot(const SystemState& snap, const SystemState& full) {
  const std::uint64_t seq = snap.last_seq;
  bool usage_ok = true;
  for (const auto& [id, replayed] : full.accounts) {
    auto it = snap.accounts.find(id);
    if (it == snap.accounts.end()) {
      add(seq, "snapshot_usage", "snapshot lacks account " + id);
      usage_ok = false;
      continue;
    }
    for (const auto& w : replayed.windows) {
      const QuotaWindow* claimed = nullptr;
      for (const auto& sw : it->second.windows)
        if (sw.metric == w.metric && sw.window_s == w.window_s && sw.origin == w.origin) claimed = &sw;
      if (!claimed) {
        add(seq, "snapshot_usage", "snapshot lacks window " + window_name(w) + " of account " + id);
        usage_ok = false;
      } else if (claimed->used != w.used || claimed->reserved != w.reserved) {
        add(seq, "snapshot_usage",
            "snapshot claims account " + id + " " + window_name(w) + " used " +
                std::to_string(claimed->used) + " reserved " + std::to_string(claimed->reserved) +
                ", events give used " + std::to_string(w.used) + " reserved " +
                std::to_string(w.reserved));
        usage_ok = false;
      }
    }
  }
  if (!usage_ok || snap == full) return;
  for (const auto& [id, a] : snap.accounts) {
    auto it = full.accounts.find(id);
    if (it == full.accounts.end()) {
      add(seq, "snapshot_state", "snapshot has account " + id + " that the events never name");
      return;
    }
    if (a != it->second) {
      add(seq, "snapshot_state", "snapshot differs from full replay in account " + id + ": " +
                                     first_difference(a, it->second));
      return;
    }
  }
  add(seq, "snapshot_state", "snapshot differs from full replay in router state");
}

}  // namespace qg
