// persistence/journal_actor.cpp — group commit, held events on failure, state in step, snapshots.
#include "persistence/journal_actor.hpp"
#include "messages/wall_clock.hpp"

#include "messages/event_codec.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "persistence/state_codec.hpp"
#include "quota/shared_append.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qg {

namespace {

struct PendingAppend {
  EventBatch events;
  // Answered after the commit that holds it; none for a quiet append (journal_protocol.hpp).
  std::optional<caf::typed_response_promise<AppendResult>> promise;
  std::optional<AppendCondition> condition;
  bool conflict = false;        // decided by the commit that holds it (shared logs)
  bool opens_epoch = false;     // the first conflict of its epoch: answered with the state
  DurableNoticePtr notice;      // run once the append is durable, before its reply (or never)
  bool reordered = false;       // written past others' events (re-validated): answered with the state
};

// What the journal knows of an account's events written by other nodes (shared logs).
struct AccountVersion {
  std::uint64_t last_foreign = 0;  // seq of the newest such event
  std::uint64_t last_unsure = 0;   // ... of a kind no append is exempt from (quota/shared_append.hpp)
  std::uint64_t epoch = 0;         // bumped by each conflict (journal_protocol.hpp)
};

struct JournalState {
  JournalOptions opts;
  std::uint64_t last_snapshot_seq = 0;
  bool state_incomplete = false;  // other writers' events could not be read: no snapshots
  std::vector<PendingAppend> pending;
  std::size_t pending_events = 0;
  EventBatch held;               // failed to commit; written first by the next commit
  bool tick_queued = false;
  bool lazy_timer = false;       // a journal_lazy_atom is on its way
  bool retry_scheduled = false;
  std::unordered_map<std::string, AccountVersion> versions;
  std::unordered_map<std::string, std::uint64_t> epochs_opened;  // by the commit under way
  bool polling = false;  // the follow timer runs

  void init(JournalOptions o) {
    opts = std::move(o);
    if (!opts.clock) opts.clock = system_clock_ms;
    if (!opts.health) opts.health = std::make_shared<JournalHealth>();
    if (opts.log->shared()) {  // others' events are followed once the caller sends follow
      last_snapshot_seq = opts.state.last_seq;
      return;
    }
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
  // waiting append. On a shared log the transaction first reads the events other nodes
  // committed since the state's last seq (followed: folded, handed to the follower) and
  // leaves out conditional appends whose account moved (answered with a conflict). Returns
  // false when the write failed: the events are then held (in order) for the next attempt and
  // every waiting append is answered with the error — except conflicts, which wait for a
  // commit that succeeds (their answer carries the state the log has).
  bool commit() {
    if (pending.empty() && held.empty()) return true;
    const auto started = std::chrono::steady_clock::now();
    std::vector<Event*> batch;
    auto choose = [&] {
      batch.clear();
      batch.reserve(held.size() + pending_events);
      for (auto& e : held) batch.push_back(&e);
      epochs_opened.clear();
      std::unordered_map<std::string, AccountState> at_append;  // re-validated accounts, as the log has them
      for (auto& p : pending) {
        p.conflict = p.opens_epoch = p.reordered = false;
        for (auto& e : p.events)
          if (e.ts == 0) e.ts = opts.clock();
        if (p.condition && opts.log->shared()) decide(p, at_append);
        if (p.conflict) continue;
        for (auto& e : p.events) batch.push_back(&e);
      }
      for (Event* e : batch)
        if (e->ts == 0) e->ts = opts.clock();
      return batch;
    };
    try {
      if (opts.log->shared()) {
        const AppendAfterResult r =
            opts.log->append_after(opts.state.last_seq, [&](const EventRow& row) { follow_row(row); }, choose);
        metrics::journal_shared_commits_total().with({path_name(r.path)}).inc();
      } else {
        choose();
        opts.log->append(batch);
      }
      record_metrics(std::chrono::steady_clock::now() - started);
    } catch (const std::exception& ex) {
      hold(ex.what());
      return false;
    }
    if (!batch.empty() && !opts.log->shared()) catch_up(batch.front()->seq - 1);
    for (const auto& [account, epoch] : epochs_opened) versions[account].epoch = epoch;
    for (const auto& e : held) apply(opts.state, e);
    if (!opts.health->ok()) {
      spdlog::warn("journal: the event log is writable again; {} held event(s) written",
                   held.size());
      opts.health->recovered();
      metrics::journal_held_events().with({}).set(0);
    }
    held.clear();
    // The waiting clients first (journal_protocol.hpp, DurableNotice): every notice of the
    // commit runs before any reply wakes an actor.
    for (auto& p : pending)
      if (!p.conflict && p.notice) p.notice->run();
    // Of an account's appends written past others' events, the last one's answer carries the
    // account (its sender puts what it sent after it on top: the earlier ones among them).
    std::unordered_map<std::string, const PendingAppend*> last_reordered;
    for (const auto& p : pending)
      if (p.reordered) last_reordered[p.condition->account] = &p;
    for (auto& p : pending) {
      if (!p.conflict) {
        for (const auto& e : p.events) apply(opts.state, e);
        AppendResult r = AppendResult::written(opts.state.last_seq);
        if (p.reordered && last_reordered[p.condition->account] == &p) {  // the account up to this append, in the log's order
          r.reordered = true;
          r.known_seq = versions[p.condition->account].last_foreign;
          const auto it = opts.state.accounts.find(p.condition->account);
          r.current = std::make_shared<const AccountState>(it != opts.state.accounts.end() ? it->second : AccountState{});
        }
        if (p.promise) p.promise->deliver(std::move(r));
        continue;
      }
      // The account's appends after this one in the batch conflict too: its state is final.
      const AccountVersion& v = versions[p.condition->account];
      AppendResult r;
      r.conflict = true;
      r.epoch = v.epoch;
      r.known_seq = v.last_foreign;
      if (p.opens_epoch) {
        auto it = opts.state.accounts.find(p.condition->account);
        r.current = std::make_shared<const AccountState>(it != opts.state.accounts.end() ? it->second : AccountState{});
      }
      metrics::journal_conflicts_total().with({}).inc();
      if (p.promise) p.promise->deliver(std::move(r));
    }
    pending.clear();
    pending_events = 0;
    if (opts.snapshot_every > 0 && opts.state.last_seq - last_snapshot_seq >= opts.snapshot_every)
      write_snapshot();
    return true;
  }

  // The version check of one conditional append (inside the commit, after the fold): a
  // conflict when the sender's epoch is over (an earlier append of the account conflicted);
  // else, when another node wrote the account after what the sender validated against, the
  // rule of quota/shared_append.hpp: reservation events validated again against the account
  // as the log has it where they would go (`at_append`: the state folded so far and the
  // batch's written appends of the account before this one; built when first needed) are
  // written (`reordered`), anything else conflicts. Events held after a failed write (in
  // the batch before every pending append, not in the state yet): the plain version check.
  // The first conflict of an epoch opens the next one (in `epochs_opened`, kept only when
  // the commit succeeds), and the account's later appends in the same commit conflict too:
  // their sender validated them on top of the refused one.
  void decide(PendingAppend& p, std::unordered_map<std::string, AccountState>& at_append) {
    const AppendCondition& c = *p.condition;
    const AccountVersion& v = versions[c.account];
    if (epochs_opened.count(c.account) || c.epoch < v.epoch) {
      p.conflict = true;
      return;
    }
    const ForeignSince since{v.last_foreign > c.known_seq, v.last_unsure > c.known_seq};
    auto it = at_append.find(c.account);
    if (!since.any && it == at_append.end()) return;
    if (since.any && held.empty() && it == at_append.end()) {
      const auto known = opts.state.accounts.find(c.account);
      it = at_append.emplace(c.account, known != opts.state.accounts.end() ? known->second : AccountState{}).first;
      for (const auto& q : pending) {
        if (&q == &p) break;
        if (!q.conflict)
          for (const auto& e : q.events)
            if (e.account == c.account) apply(it->second, e);
      }
    }
    const SharedVerdict verdict = it != at_append.end() ? shared_append_verdict(it->second, p.events, since)
                                                         : SharedVerdict::conflict;  // held events: the plain check
    if (verdict != SharedVerdict::conflict) {
      p.reordered = verdict == SharedVerdict::write_reordered;
      return;
    }
    p.conflict = p.opens_epoch = true;
    epochs_opened[c.account] = v.epoch + 1;
  }

  // One row another node committed (shared logs): folded into the state, its account's
  // version noted, handed to the follower (the account actor applies it). Rows arrive in seq
  // order and each exactly once: the state's last seq only grows.
  void follow_row(const EventRow& row) {
    if (row.seq != opts.state.last_seq + 1) return;  // read already (a retried commit)
    Event e = decode_row(row, nullptr);
    apply(opts.state, e);
    if (!e.account.empty()) {
      versions[e.account].last_foreign = e.seq;
      if (foreign_unsure(e.payload)) versions[e.account].last_unsure = e.seq;
    }
    if (opts.follower) opts.follower(e, opts.state);
  }

  // Reads what other nodes committed since the state's last seq (shared logs; the listener's
  // notification and a timer ask for it). One scan from there, no look at the head first:
  // commits are in seq order, so what a read sees after the state's last seq is gapless. A
  // read that fails is retried by the next one.
  void follow() {
    if (!opts.log->shared()) return;
    try {
      opts.log->scan(ScanRange::starting_at(opts.state.last_seq + 1), [&](const EventRow& row) {
        follow_row(row);
        return true;
      });
    } catch (const std::exception& ex) {
      spdlog::debug("journal: following the log failed ({}); retried", ex.what());
    }
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
    std::vector<PendingAppend> conflicts;  // wait for a commit that succeeds
    for (auto& p : pending) {
      if (p.conflict) {
        conflicts.push_back(std::move(p));
        continue;
      }
      for (auto& e : p.events) held.push_back(std::move(e));
    }
    if (opts.health->ok())
      spdlog::error("journal: cannot write the event log ({}); holding {} event(s) in memory, "
                    "retrying every {} ms", error, held.size(), opts.retry_ms);
    else
      spdlog::debug("journal: write still failing ({}); {} event(s) held", error, held.size());
    opts.health->failing(error, held.size());
    metrics::journal_held_events().with({}).set(static_cast<double>(held.size()));
    metrics::journal_write_failures_total().with({}).inc();
    for (auto& p : pending) {
      if (p.conflict) continue;
      if (p.promise) p.promise->deliver(AppendResult::failed(error));
      else if (p.notice && p.notice->unwritten) p.notice->unwritten(error);  // a quiet append's only answer
    }
    pending = std::move(conflicts);
    pending_events = 0;
    for (const auto& p : pending) pending_events += p.events.size();
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
      if (!p.conflict)
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

// Queues an append. A lazy append (journal_protocol.hpp) starts no commit: it waits for the
// next one, or for the lazy timer. `promise` answers it after its commit; a quiet append has
// none and is answered to nobody.
void enqueue(journal_self self, EventBatch batch, std::optional<AppendCondition> condition, bool lazy,
             DurableNoticePtr notice, std::optional<caf::typed_response_promise<AppendResult>> promise) {
  auto& st = self->state;
  if (batch.empty()) {
    if (notice) notice->run();
    if (promise) promise->deliver(AppendResult::written(st.opts.state.last_seq));
    return;
  }
  st.pending_events += batch.size();
  st.pending.push_back(PendingAppend{std::move(batch), std::move(promise), std::move(condition), false, false,
                                     std::move(notice)});
  if (st.pending_events >= st.opts.max_batch) {
    commit_or_retry(self);
  } else if (!lazy && !st.tick_queued) {
    st.tick_queued = true;
    self->send(self, journal_tick_atom::value);
  } else if (lazy && !st.tick_queued && !st.lazy_timer) {
    st.lazy_timer = true;
    self->delayed_send(self, std::chrono::milliseconds(st.opts.lazy_ms), journal_lazy_atom::value);
  }
}

// An append answered after its commit.
caf::typed_response_promise<AppendResult> answered(journal_self self, EventBatch batch,
                                                   std::optional<AppendCondition> condition, bool lazy = false,
                                                   DurableNoticePtr notice = nullptr) {
  auto promise = self->make_response_promise<AppendResult>();
  enqueue(self, std::move(batch), std::move(condition), lazy, std::move(notice), promise);
  return promise;
}

journal_actor::behavior_type journal_behavior(journal_self self, JournalOptions options) {
  self->state.init(std::move(options));
  return {
      [=](append_atom, EventBatch& batch) {
        return answered(self, std::move(batch), std::nullopt);
      },
      [=](append_atom, EventBatch& batch, AppendCondition& condition) {
        return answered(self, std::move(batch), std::move(condition));
      },
      [=](append_atom, EventBatch& batch, AppendCondition& condition, lazy_atom) {
        return answered(self, std::move(batch), std::move(condition), true);
      },
      [=](append_atom, EventBatch& batch, AppendCondition& condition, DurableNoticePtr& notice) {
        return answered(self, std::move(batch), std::move(condition), false, std::move(notice));
      },
      [=](append_atom, EventBatch& batch, lazy_atom, quiet_atom) {
        enqueue(self, std::move(batch), std::nullopt, true, nullptr, std::nullopt);
      },
      [=](append_atom, EventBatch& batch, DurableNoticePtr& notice, quiet_atom) {
        enqueue(self, std::move(batch), std::nullopt, false, std::move(notice), std::nullopt);
      },
      [=](journal_follow_atom) {
        auto& st = self->state;
        st.follow();
        if (!st.polling && st.opts.log->shared() && st.opts.follow_interval_ms > 0) {
          st.polling = true;  // from the first follow on (the caller's: its actors exist)
          self->delayed_send(self, std::chrono::milliseconds(st.opts.follow_interval_ms), journal_poll_atom::value);
        }
      },
      [=](journal_poll_atom) {
        self->state.follow();
        self->delayed_send(self, std::chrono::milliseconds(self->state.opts.follow_interval_ms),
                           journal_poll_atom::value);
      },
      [=](journal_tick_atom) {
        self->state.tick_queued = false;
        commit_or_retry(self);
      },
      [=](journal_lazy_atom) {
        self->state.lazy_timer = false;
        commit_or_retry(self);  // nothing to do when another commit took them already
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
