// persistence/journal_actor.cpp — group commit, held events on failure, state in step, snapshots.
#include "persistence/journal_actor.hpp"
#include "messages/wall_clock.hpp"

#include "messages/event_codec.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "persistence/state_codec.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

namespace qg {

namespace {

struct PendingAppend {
  EventBatch events;
  caf::typed_response_promise<AppendResult> promise;
};

struct JournalState {
  JournalOptions opts;
  std::uint64_t last_snapshot_seq = 0;
  bool state_incomplete = false;  // other writers' events could not be read: no snapshots
  std::vector<PendingAppend> pending;
  std::size_t pending_events = 0;
  EventBatch held;               // failed to commit; written first by the next commit
  bool tick_queued = false;
  bool retry_scheduled = false;

  void init(JournalOptions o) {
    opts = std::move(o);
    if (!opts.clock) opts.clock = system_clock_ms;
    if (!opts.health) opts.health = std::make_shared<JournalHealth>();
    const std::uint64_t log_last = opts.log->last_seq();
    if (opts.state.last_seq < log_last) {
      catch_up(log_last);  // others wrote since the state was recovered
    } else if (opts.state.last_seq > log_last) {
      spdlog::warn("journal: given state is at seq {} but the log ends at {}; tracking the log",
                   opts.state.last_seq, log_last);
      opts.state.last_seq = log_last;
    }
    last_snapshot_seq = opts.state.last_seq;
  }

  // Writes the held events, then everything pending, in one transaction, and answers every
  // waiting append. Returns false when the write failed: the events are then held (in order)
  // for the next attempt and every waiting append is answered with the error.
  bool commit() {
    if (pending.empty() && held.empty()) return true;
    const auto started = std::chrono::steady_clock::now();
    std::vector<Event*> batch;
    batch.reserve(held.size() + pending_events);
    for (auto& e : held) batch.push_back(&e);
    for (auto& p : pending)
      for (auto& e : p.events) batch.push_back(&e);
    for (Event* e : batch)
      if (e->ts == 0) e->ts = opts.clock();
    try {
      opts.log->append(batch);
      record_metrics(std::chrono::steady_clock::now() - started);
    } catch (const std::exception& ex) {
      hold(ex.what());
      return false;
    }
    catch_up(batch.front()->seq - 1);
    for (const auto& e : held) apply(opts.state, e);
    if (!opts.health->ok()) {
      spdlog::warn("journal: the event log is writable again; {} held event(s) written",
                   held.size());
      opts.health->recovered();
      metrics::journal_held_events().with({}).set(0);
    }
    held.clear();
    for (auto& p : pending) {
      for (const auto& e : p.events) apply(opts.state, e);
      p.promise.deliver(AppendResult{opts.state.last_seq, {}});
    }
    pending.clear();
    pending_events = 0;
    if (opts.snapshot_every > 0 && opts.state.last_seq - last_snapshot_seq >= opts.snapshot_every)
      write_snapshot();
    return true;
  }

  // Folds the events other writers committed between the state's last seq and `until`, so
  // the state stays the fold of a prefix of the log.
  void catch_up(std::uint64_t until) {
    if (until <= opts.state.last_seq || state_incomplete) return;
    const std::uint64_t from = opts.state.last_seq + 1;
    try {
      ScanRange range = ScanRange::starting_at(from);
      range.to_seq = until;
      opts.log->scan(range, [&](const EventRow& row) {
        apply(opts.state, decode_row(row, nullptr));
        return true;
      });
    } catch (const std::exception& ex) {
      spdlog::error("journal: cannot read events {}..{} written by others ({}); no snapshots "
                    "until restart", from, until, ex.what());
      state_incomplete = true;
    }
    if (opts.state.last_seq != until) state_incomplete = true;
  }

  // After a failed write: keep the pending events behind the held ones and answer their
  // appends with the error.
  void hold(const std::string& error) {
    for (auto& p : pending)
      for (auto& e : p.events) held.push_back(std::move(e));
    if (opts.health->ok())
      spdlog::error("journal: cannot write the event log ({}); holding {} event(s) in memory, "
                    "retrying every {} ms", error, held.size(), opts.retry_ms);
    else
      spdlog::debug("journal: write still failing ({}); {} event(s) held", error, held.size());
    opts.health->failing(error, held.size());
    metrics::journal_held_events().with({}).set(static_cast<double>(held.size()));
    metrics::journal_write_failures_total().with({}).inc();
    for (auto& p : pending) p.promise.deliver(AppendResult{0, error});
    pending.clear();
    pending_events = 0;
  }

  // quotaguard_journal_* and quotaguard_events_total / route_switches_total for a committed
  // batch (metrics/quotaguard_metrics.hpp); one counter update per event type per batch.
  void record_metrics(std::chrono::steady_clock::duration took) const {
    metrics::journal_append_seconds().with({}).observe(std::chrono::duration<double>(took).count());
    metrics::journal_batch_size().with({}).observe(static_cast<double>(held.size() + pending_events));
    std::vector<std::pair<std::string_view, std::uint64_t>> by_type;
    auto count = [&](const Event& e) {
      const std::string_view type = event_type(e);
      auto it = std::find_if(by_type.begin(), by_type.end(), [&](const auto& t) { return t.first == type; });
      if (it == by_type.end()) by_type.push_back({type, 1});
      else ++it->second;
      if (const auto* rs = std::get_if<RouteSwitched>(&e.payload))
        metrics::route_switches_total().with({rs->reason}).inc();
    };
    for (const auto& e : held) count(e);
    for (const auto& p : pending)
      for (const auto& e : p.events) count(e);
    for (const auto& [type, n] : by_type) metrics::events_total().with({std::string(type)}).inc(n);
  }

  void write_snapshot() {
    if (last_snapshot_seq == opts.state.last_seq && opts.state.last_seq != 0) return;
    if (state_incomplete) return;
    try {
      opts.log->write_snapshot(opts.state.last_seq, opts.clock(), kStateSchemaVersion,
                               encode_state(opts.state));
      last_snapshot_seq = opts.state.last_seq;
    } catch (const std::exception& ex) {
      spdlog::warn("journal: snapshot at seq {} failed: {}", opts.state.last_seq, ex.what());
    }
  }
};

using journal_self = journal_actor::stateful_pointer<JournalState>;

// Commits now; after a failure makes sure one retry is scheduled.
void commit_or_retry(journal_self self) {
  auto& st = self->state;
  if (st.commit() || st.retry_scheduled) return;
  st.retry_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(st.opts.retry_ms), journal_retry_atom::value);
}

journal_actor::behavior_type journal_behavior(journal_self self, JournalOptions options) {
  self->state.init(std::move(options));
  return {
      [=](append_atom, EventBatch& batch) -> caf::typed_response_promise<AppendResult> {
        auto promise = self->make_response_promise<AppendResult>();
        auto& st = self->state;
        if (batch.empty()) {
          promise.deliver(AppendResult{st.opts.state.last_seq, {}});
          return promise;
        }
        st.pending_events += batch.size();
        st.pending.push_back(PendingAppend{std::move(batch), promise});
        if (st.pending_events >= st.opts.max_batch) {
          commit_or_retry(self);
        } else if (!st.tick_queued) {
          st.tick_queued = true;
          self->send(self, journal_tick_atom::value);
        }
        return promise;
      },
      [=](journal_tick_atom) {
        self->state.tick_queued = false;
        commit_or_retry(self);
      },
      [=](journal_retry_atom) {
        self->state.retry_scheduled = false;
        commit_or_retry(self);
      },
      [=](flush_atom) -> std::uint64_t {
        commit_or_retry(self);
        return self->state.opts.state.last_seq;
      },
      [=](snapshot_atom) -> std::uint64_t {
        commit_or_retry(self);
        self->state.write_snapshot();
        return self->state.last_snapshot_seq;
      },
  };
}

}  // namespace

journal_actor spawn_journal(caf::actor_system& sys, JournalOptions options) {
  return sys.spawn<caf::detached>(journal_behavior, std::move(options));
}

}  // namespace qg
