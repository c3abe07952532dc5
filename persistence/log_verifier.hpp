// persistence/log_verifier.hpp — the invariants `replay --verify` checks (INTERFACE §5).
//
// Fed every event in log order, then every snapshot against the state of a full replay from
// seq 1 at the snapshot's seq. Each violation names the seq at fault:
//   gap            seq not exactly previous + 1 (the first must be 1)
//   malformed      payload of a known type that does not decode
//   duplicate      a reservation id created twice
//   unknown        a resolution (committed/released/expired) of an id never created
//   resolved_twice a second resolution of the same id
//   wrong_account  a resolution by another account than the one that created the id
//   usage_range    an estimate or committed usage outside [0, kMaxUsagePerRequest], or an
//                  observed window with a negative limit, used or length
//   snapshot       unreadable snapshot (checksum, decode, beyond the log)
//   snapshot_usage a snapshot's used/reserved of a window differs from the events' total
//   snapshot_state a snapshot differs in any other field from the full replay
// Pure: no I/O.
#pragma once

#include "quota/system_state.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace qg {

struct Violation {
  std::uint64_t seq = 0;
  std::string kind;
  std::string message;  // starts with "seq N: "
};

class LogVerifier {
 public:
  // `decode_warning` is what decode_payload reported; `malformed` marks a known type that
  // failed to decode (a violation) as opposed to an unknown type/version (a warning).
  void observe(const Event& e, const std::string& decode_warning, bool malformed);

  // A snapshot that could not be read (checksum, version, decode...).
  void bad_snapshot(std::uint64_t seq, const std::string& why);
  // Compares a decoded snapshot with the full replay at the same seq.
  void check_snapshot(const SystemState& snapshot, const SystemState& replayed);

  const std::vector<Violation>& violations() const { return violations_; }
  std::uint64_t events() const { return events_; }
  std::uint64_t warnings() const { return warnings_; }
  std::size_t reservations() const { return reservations_.size(); }

 private:
  struct ReservationTrack {
    std::uint64_t created_seq = 0;
    std::uint64_t resolved_seq = 0;
    std::uint32_t account = 0;
  };
  void add(std::uint64_t seq, const char* kind, std::string message);
  void resolve(const Event& e, const std::string& id);
  std::uint32_t account_index(const std::string& account);

  std::uint64_t expected_seq_ = 1;
  std::uint64_t events_ = 0;
  std::uint64_t warnings_ = 0;
  std::unordered_map<std::string, ReservationTrack> reservations_;
  std::unordered_map<std::string, std::uint32_t> account_ids_;
  std::vector<std::string> account_names_;
  std::vector<Violation> violations_;
};

}  // namespace qg
