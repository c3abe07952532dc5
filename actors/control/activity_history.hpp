// actors/control/activity_history.hpp — what the event log says happened lately (pure).
//
// The read model behind GET /api/v1/activity and the dashboard's chart and feeds. It is a
// fold over events in seq order, like an account's state, but it only keeps what a person
// looks at: per account, the committed usage in 5-minute buckets over the last 24 hours, and
// the latest route decisions (ReservationCreated), route switches (RouteSwitched) and
// alerts and operator actions (ThresholdCrossed, CooldownStarted/Ended, AccountDrained/
// Resumed, SettingChanged). No clock, no I/O: `now` is an argument.
//
//   requests, input_tokens, output_tokens   sums of ReservationCommitted.usage in the bucket
//                                           holding the event's ts
//   released                                ReservationReleased + ReservationExpired (calls
//                                           that counted nothing: failed, cancelled, lost)
//
// Entries carry only ids, model names, reasons and numbers: never a credential (settings
// changes show the key and who changed it, not the value).
#pragma once

#include "messages/activity_view.hpp"
#include "messages/event.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace qg {

class ActivityHistory {
 public:
  static constexpr TimeMs kBucketMs = kActivityStepMs;        // storage granularity
  static constexpr TimeMs kHorizonMs = kActivityHorizonMs;    // longest view
  static constexpr TimeMs kMaxBucketMs = kActivityMaxBucketMs;  // largest view bucket
  static constexpr std::size_t kFeedLength = 50;         // entries kept per feed

  // The oldest event time any view can show (the horizon plus one view bucket, so the
  // oldest view bucket is whole): where a fresh history starts reading the log.
  static TimeMs oldest_needed(TimeMs now) { return now - kHorizonMs - kMaxBucketMs; }

  // Folds one event (seq order). Events older than the horizon are still counted until the
  // next prune().
  void apply(const Event& e);
  // Drops buckets older than oldest_needed(now) and feed entries older than kHorizonMs.
  void prune(TimeMs now);
  std::uint64_t last_seq() const { return last_seq_; }

  // The last `span_ms` (clamped to 5 min .. 24 h) ending with the bucket that holds `now`,
  // in buckets of `bucket_ms` (a multiple of kBucketMs within kBucketMs .. kMaxBucketMs;
  // other values are rounded down and clamped),
  // and the newest `feed_length` entries of each feed.
  ActivityView view(TimeMs now, TimeMs span_ms, TimeMs bucket_ms,
                    std::size_t feed_length = 20) const;

 private:
  void push(std::deque<ActivityEntry>& feed, ActivityEntry entry);

  std::uint64_t last_seq_ = 0;
  std::map<std::string, std::map<TimeMs, ActivityBucket>> buckets_;  // account -> start -> bucket
  std::deque<ActivityEntry> decisions_, switches_, alerts_;          // oldest first
};

}  // namespace qg
