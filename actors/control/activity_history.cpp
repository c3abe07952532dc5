// actors/control/activity_history.cpp — see activity_history.hpp.
#include "actors/control/activity_history.hpp"

#include "messages/window_label.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <type_traits>

namespace qg {

namespace {

TimeMs floor_to(TimeMs t, TimeMs step) {
  const TimeMs q = t / step;
  return (t % step < 0 ? q - 1 : q) * step;
}

std::string percent_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

// The model part of a route key ("model" or "model|client fingerprint").
std::string route_model(const std::string& route_key) {
  return route_key.substr(0, route_key.find('|'));
}

}  // namespace

void ActivityHistory::push(std::deque<ActivityEntry>& feed, ActivityEntry entry) {
  feed.push_back(std::move(entry));
  if (feed.size() > kFeedLength) feed.pop_front();
}

void ActivityHistory::apply(const Event& e) {
  last_seq_ = std::max(last_seq_, e.seq);
  ActivityEntry entry;
  entry.seq = e.seq;
  entry.ts = e.ts;
  entry.type = std::string(event_type(e));
  entry.account = e.account;
  auto bucket = [&]() -> ActivityBucket& {
    const TimeMs start = floor_to(e.ts, kBucketMs);
    ActivityBucket& b = buckets_[e.account][start];
    b.start = start;
    return b;
  };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ReservationCommitted>) {
          ActivityBucket& b = bucket();
          b.requests += p.usage.requests;
          b.input_tokens += p.usage.input_tokens;
          b.output_tokens += p.usage.output_tokens;
        } else if constexpr (std::is_same_v<T, ReservationReleased> ||
                             std::is_same_v<T, ReservationExpired>) {
          bucket().released += 1;
        } else if constexpr (std::is_same_v<T, ReservationCreated>) {
          entry.model = p.model;
          entry.reason = "routed";
          entry.detail = p.model + " -> " + e.account;
          push(decisions_, std::move(entry));
        } else if constexpr (std::is_same_v<T, RouteSwitched>) {
          entry.model = route_model(p.route_key);
          entry.from = p.from;
          entry.to = p.to;
          entry.reason = p.reason;
          entry.detail = entry.model + ": " + (p.from.empty() ? "(none)" : p.from) + " -> " + p.to;
          push(switches_, std::move(entry));
        } else if constexpr (std::is_same_v<T, ThresholdCrossed>) {
          entry.reason = p.level;
          entry.detail = std::string(to_string(p.metric)) + "/" + (p.window_s > 0 ? window_label(p.window_s) : std::string("?")) + " at " +
                         percent_text(p.used_percent) + " used";
          push(alerts_, std::move(entry));
        } else if constexpr (std::is_same_v<T, CooldownStarted>) {
          entry.reason = p.reason;
          entry.detail = p.detail;
          push(alerts_, std::move(entry));
        } else if constexpr (std::is_same_v<T, CooldownEnded>) {
          entry.reason = p.reason;
          entry.detail = "cooldown ended (" + p.reason + ")";
          push(alerts_, std::move(entry));
        } else if constexpr (std::is_same_v<T, AccountDrained>) {
          entry.reason = "drain";
          entry.detail = "drained by " + p.by;
          push(alerts_, std::move(entry));
        } else if constexpr (std::is_same_v<T, AccountResumed>) {
          entry.reason = "resume";
          entry.detail = "resumed by " + p.by;
          push(alerts_, std::move(entry));
        } else if constexpr (std::is_same_v<T, SettingChanged>) {
          entry.reason = p.key;
          entry.detail = p.key + " changed by " + p.source;
          push(alerts_, std::move(entry));
        }
      },
      e.payload);
}

void ActivityHistory::prune(TimeMs now) {
  const TimeMs oldest = floor_to(oldest_needed(now), kBucketMs);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    auto& per = it->second;
    per.erase(per.begin(), per.lower_bound(oldest));
    it = per.empty() ? buckets_.erase(it) : std::next(it);
  }
  for (auto* feed : {&decisions_, &switches_, &alerts_})
    while (!feed->empty() && feed->front().ts < now - kHorizonMs) feed->pop_front();
}

ActivityView ActivityHistory::view(TimeMs now, TimeMs span_ms, TimeMs bucket_ms,
                                   std::size_t feed_length) const {
  ActivityView v;
  v.bucket_ms = std::clamp(floor_to(bucket_ms, kBucketMs), kBucketMs, kMaxBucketMs);
  span_ms = std::clamp(span_ms, kBucketMs, kHorizonMs);
  v.to = floor_to(now, v.bucket_ms) + v.bucket_ms;
  v.from = floor_to(v.to - span_ms, v.bucket_ms);
  for (const auto& [account, per] : buckets_) {
    std::vector<ActivityBucket> out;
    for (auto it = per.lower_bound(v.from); it != per.end() && it->first < v.to; ++it) {
      const TimeMs start = floor_to(it->first, v.bucket_ms);
      if (out.empty() || out.back().start != start) out.push_back(ActivityBucket{start, 0, 0, 0, 0});
      ActivityBucket& b = out.back();
      b.requests += it->second.requests;
      b.input_tokens += it->second.input_tokens;
      b.output_tokens += it->second.output_tokens;
      b.released += it->second.released;
    }
    if (!out.empty()) v.accounts.emplace(account, std::move(out));
  }
  auto newest = [feed_length](const std::deque<ActivityEntry>& feed) {
    std::vector<ActivityEntry> out;
    for (auto it = feed.rbegin(); it != feed.rend() && out.size() < feed_length; ++it) out.push_back(*it);
    return out;
  };
  v.decisions = newest(decisions_);
  v.switches = newest(switches_);
  v.alerts = newest(alerts_);
  return v;
}

}  // namespace qg
