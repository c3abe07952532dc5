// The rule for appends other nodes' events overtook on a shared log (quota/shared_append.hpp,
// docs/EVENT_LOG.md §7.3), pure, no threads:
//   (a) a reservation validated before another node's event that only frees headroom (a
//       commit within its estimate, a release, an expiry, a cooldown ended, a drain lifted)
//       is still valid after it: validate is monotone in headroom, so such events never make
//       a reservation conflict;
//   (b) the pairs a reordered write swaps do not all commute under `apply` (the burn EWMA of
//       two commits; a commit and a window reset between their timestamps), so the answer
//       carries the log's account: in a seeded two-node simulation every node's live state,
//       once its appends are answered and it followed the log, equals the log's replay;
//   (c) in that simulation (two nodes with stale views reserving, committing, releasing,
//       expiring each other's reservations, observing, on small limits) the log's replay
//       admits every ReservationCreated and resolves each reservation once: no headroom is
//       spent twice, whatever the interleaving.
#include "quota/shared_append.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>

using namespace qg;

namespace {

constexpr TimeMs kStart = 1'764'400'000'000;

AccountSpec limited(std::int64_t requests, std::int64_t tokens) {
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 60, requests}, {Metric::tokens, 3600, tokens}};
  return spec;
}

ReservationCreated reservation(std::string id, Usage estimate, TimeMs expires_at) {
  ReservationCreated r;
  r.id = std::move(id);
  r.model = "m";
  r.estimate = estimate;
  r.expires_at = expires_at;
  return r;
}

Event ev(TimeMs ts, EventPayload p, const std::string& node = "a") {
  Event e{0, ts, "acct", std::move(p)};
  e.node = node;
  return e;
}

// One node as the journal and the account actor see it.
struct Node {
  std::string id;
  AccountState state;           // the actor's
  std::uint64_t known_seq = 0;  // newest other node's event in `state`
  std::uint64_t epoch = 0;      // the actor's conflict epoch
  std::uint64_t journal_epoch = 0;
  std::size_t followed = 0;     // log entries looked at by following
  struct Sent {
    std::uint64_t id;
    std::vector<Event> events;
    std::uint64_t known_seq, epoch;
  };
  std::vector<Sent> in_flight;  // sent, not answered, in order
};

struct Cluster {
  std::mt19937_64 rng;
  TimeMs now = kStart;
  std::vector<Event> log;
  Node nodes[2];
  std::uint64_t next_append = 0, next_id = 0;
  int reordered = 0, conflicts = 0;

  explicit Cluster(std::uint64_t seed) : rng(seed) {
    nodes[0].id = "a";
    nodes[1].id = "b";
    Event reg = ev(now, AccountRegistered{limited(pick(3, 12), pick(500, 3000))});
    reg.seq = 1;
    log.push_back(reg);
    for (auto& n : nodes) {
      apply(n.state, reg);
      n.followed = 1;
    }
    nodes[1].known_seq = 1;
  }
  std::int64_t pick(std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); }

  AccountState replay(std::size_t upto) const {
    AccountState s;
    for (std::size_t i = 0; i < upto; ++i) apply(s, log[i]);
    return s;
  }
  // The journal hands the node the other nodes' events it has not seen, in seq order.
  void follow(Node& n) {
    for (; n.followed < log.size(); ++n.followed) {
      const Event& e = log[n.followed];
      if (e.node == n.id || e.seq <= n.known_seq) continue;
      apply(n.state, e);
      n.known_seq = e.seq;
    }
  }
  // The actor: validate against its view, apply, send.
  void propose(Node& n, EventPayload p) {
    if (validate(n.state, p, now).verdict != Verdict::accept) return;
    Event e = ev(now, std::move(p), n.id);
    apply(n.state, e);
    n.in_flight.push_back({++next_append, {e}, n.known_seq, n.epoch});
  }
  // The journal commits the node's oldest append (what it folded first reaches the actor
  // before the answer, as the journal's follower sends it).
  void commit(Node& n) {
    if (n.in_flight.empty()) return;
    const Node::Sent a = n.in_flight.front();
    n.in_flight.erase(n.in_flight.begin());
    follow(n);
    std::uint64_t last_foreign = 0;
    for (const auto& e : log)
      if (e.node != n.id) last_foreign = e.seq;
    AccountState at = replay(log.size());
    SharedVerdict v = SharedVerdict::conflict;
    if (a.epoch >= n.journal_epoch) v = shared_append_verdict(at, a.events, ForeignSince{last_foreign > a.known_seq, false});
    if (v == SharedVerdict::conflict) {
      ++conflicts;
      if (a.epoch < n.journal_epoch) return;  // epoch over: no state in the answer
      n.journal_epoch = a.epoch + 1;
      if (n.journal_epoch > n.epoch) {
        n.state = replay(log.size());
        n.epoch = n.journal_epoch;
        n.known_seq = last_foreign;
      }
      return;
    }
    for (auto e : a.events) {
      e.seq = log.size() + 1;
      log.push_back(e);
    }
    if (v == SharedVerdict::write_reordered) {
      ++reordered;
      std::vector<const std::vector<Event>*> later;
      for (const auto& s : n.in_flight) later.push_back(&s.events);
      if (a.epoch == n.epoch && last_foreign >= n.known_seq) {
        n.state = reordered_state(at, later);
        n.known_seq = last_foreign;
      }
    }
  }
  void step() {
    now += pick(0, 4'000);
    Node& n = nodes[pick(0, 1)];
    switch (pick(0, 11)) {
      case 0: case 1: case 2: {
        propose(n, reservation("r" + std::to_string(next_id++), Usage{1, pick(0, 200), pick(0, 200)}, now + 600'000));
        break;
      }
      case 3: case 4: {  // any open reservation the node knows of: its own, or another node's
        if (n.state.reservations.empty()) break;
        auto it = n.state.reservations.begin();
        std::advance(it, pick(0, static_cast<std::int64_t>(n.state.reservations.size()) - 1));
        const std::string id = it->first;
        const Usage est = it->second.estimate;
        switch (pick(0, 3)) {
          case 0: propose(n, ReservationCommitted{id, Usage{1, pick(0, est.input_tokens), pick(0, est.output_tokens)}}); break;
          case 1: propose(n, ReservationCommitted{id, Usage{1, pick(0, 400), pick(0, 400)}}); break;  // above its estimate
          case 2: propose(n, ReservationReleased{id, "failed"}); break;
          default: propose(n, ReservationExpired{id}); break;
        }
        break;
      }
      case 5:
        if (pick(0, 3) == 0)
          propose(n, QuotaObserved{QuotaSource::poll, {{Metric::requests, 60, pick(3, 12), pick(0, 3), now + pick(1, 60) * 1000}}});
        break;
      case 6:
        if (pick(0, 5) == 0) propose(n, pick(0, 1) ? EventPayload{CooldownStarted{now + 5'000, "errors", "5xx", 2}}
                                                   : EventPayload{CooldownEnded{"probe_ok"}});
        break;
      case 7: case 8: commit(n); break;
      case 9: case 10: commit(n); commit(n); break;
      default: follow(n); break;
    }
  }
  void settle() {
    for (auto& n : nodes)
      while (!n.in_flight.empty()) commit(n);
    for (auto& n : nodes) follow(n);
  }
};

}  // namespace

TEST_CASE("shared append (a): an event of another node that only frees headroom never makes a reservation conflict") {
  std::mt19937_64 rng(7);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  int checked = 0;
  for (int round = 0; round < 4000; ++round) {
    TimeMs now = kStart + pick(0, 200'000);
    AccountState s;
    apply(s, ev(kStart, AccountRegistered{limited(pick(2, 10), pick(200, 2000))}));
    for (int i = 0, n = static_cast<int>(pick(0, 8)); i < n; ++i)
      apply(s, ev(kStart + pick(0, 200'000), reservation("o" + std::to_string(i), Usage{1, pick(0, 200), pick(0, 200)}, now + 600'000)));
    if (pick(0, 4) == 0) apply(s, ev(kStart, CooldownStarted{now + pick(-5'000, 5'000), "errors", "", 1}));
    if (pick(0, 6) == 0) apply(s, ev(kStart, AccountDrained{"op"}));
    const Event ours = ev(now, reservation("ours", Usage{1, pick(0, 200), pick(0, 200)}, now + 600'000));
    if (validate(s, ours.payload, now).verdict != Verdict::accept) continue;
    // Another node's event, at any time around ours, that frees headroom or lifts a block.
    const TimeMs ts = now + pick(-120'000, 120'000);
    Event foreign = ev(ts, CooldownEnded{"expired"}, "b");
    const auto open = s.reservations.empty() ? std::string() : s.reservations.begin()->first;
    switch (pick(0, 5)) {
      case 0: if (!open.empty()) {
        const Usage est = s.reservations.begin()->second.estimate;
        foreign = ev(ts, ReservationCommitted{open, Usage{pick(0, est.requests), pick(0, est.input_tokens), pick(0, est.output_tokens)}}, "b");
      } break;
      case 1: if (!open.empty()) foreign = ev(ts, ReservationReleased{open, "failed"}, "b"); break;
      case 2: if (!open.empty()) foreign = ev(ts, ReservationExpired{open}, "b"); break;
      case 3: foreign = ev(ts, AccountResumed{"op"}, "b"); break;
      case 4: foreign = ev(ts, RouteRefused{"m", "chat", "", Usage{1, 1, 1}, "", "quota_exhausted"}, "b"); break;
      default: break;
    }
    AccountState after = s;
    apply(after, foreign);
    CAPTURE(round);
    CHECK(validate(after, ours.payload, now).verdict == Verdict::accept);
    CHECK(shared_append_verdict(after, {ours}, ForeignSince{true, false}) == SharedVerdict::write_reordered);
    ++checked;
  }
  CHECK(checked > 1000);
}

TEST_CASE("shared append: what is never written past others' events") {
  AccountState s;
  apply(s, ev(kStart, AccountRegistered{limited(2, 1000)}));
  apply(s, ev(kStart, reservation("r1", Usage{1, 10, 10}, kStart + 600'000)));
  const Event create = ev(kStart + 1, reservation("r2", Usage{1, 10, 10}, kStart + 600'000));
  SUBCASE("nothing overtook it: written as validated, even a kind that is never re-validated") {
    AccountState at = s;
    CHECK(shared_append_verdict(at, {ev(kStart, CooldownStarted{kStart + 1000, "rate_limited", "", 0})}, {}) == SharedVerdict::write);
    CHECK(at.cooldown_until == kStart + 1000);
  }
  SUBCASE("the headroom another node spent: a conflict, the state untouched") {
    apply(s, ev(kStart, reservation("b1", Usage{1, 10, 10}, kStart + 600'000), "b"));  // the limit of 2 reached
    const AccountState before = s;
    CHECK(shared_append_verdict(s, {create}, ForeignSince{true, false}) == SharedVerdict::conflict);
    CHECK(s == before);
  }
  SUBCASE("a reservation another node resolved already: a conflict") {
    apply(s, ev(kStart, ReservationExpired{"r1"}, "b"));
    CHECK(shared_append_verdict(s, {ev(kStart + 2, ReservationCommitted{"r1", Usage{1, 5, 5}})}, ForeignSince{true, false}) ==
          SharedVerdict::conflict);
  }
  SUBCASE("an event of a kind this build does not know: a conflict") {
    CHECK(shared_append_verdict(s, {create}, ForeignSince{true, true}) == SharedVerdict::conflict);
  }
  SUBCASE("our events decided from the view rather than validated: a conflict") {
    CHECK(shared_append_verdict(s, {ev(kStart, ThresholdCrossed{"warning", Metric::requests, 60, 80})}, ForeignSince{true, false}) ==
          SharedVerdict::conflict);
    CHECK(shared_append_verdict(s, {ev(kStart, QuotaObserved{QuotaSource::headers, {{Metric::requests, 60, 9, 1, kStart + 9000}}})},
                                ForeignSince{true, false}) == SharedVerdict::conflict);
  }
  SUBCASE("a batch is written whole or not at all") {
    const AccountState before = s;
    CHECK(shared_append_verdict(s, {create, ev(kStart + 2, reservation("r3", Usage{1, 1, 1}, kStart + 600'000))},
                                ForeignSince{true, false}) == SharedVerdict::conflict);  // r3 is over the limit of 2
    CHECK(s == before);
    CHECK(shared_append_verdict(s, {create, ev(kStart + 2, ReservationCommitted{"r2", Usage{1, 1, 1}})}, ForeignSince{true, false}) ==
          SharedVerdict::write_reordered);
    CHECK(s.counters.committed == 1);
  }
}

TEST_CASE("shared append (b): apply does not commute for every pair a reordered write swaps") {
  AccountState s;
  apply(s, ev(kStart, AccountRegistered{limited(100, 100'000)}));
  for (const char* id : {"r1", "r2"}) apply(s, ev(kStart, reservation(id, Usage{1, 10, 10}, kStart + 600'000)));
  auto both = [&](const Event& x, const Event& y) {
    AccountState xy = s, yx = s;
    apply(xy, x);
    apply(xy, y);
    apply(yx, y);
    apply(yx, x);
    return std::make_pair(xy, yx);
  };
  // Two commits a second apart: the burn rate's decay depends on their order.
  auto [xy, yx] = both(ev(kStart + 1'000, ReservationCommitted{"r1", Usage{1, 7, 7}}),
                       ev(kStart + 2'000, ReservationCommitted{"r2", Usage{1, 9, 9}}, "b"));
  CHECK_FALSE(xy.burn == yx.burn);
  // A commit before a minute boundary and another node's reservation after it: `used` of the
  // requests window is reset after the commit in one order, before it in the other.
  const TimeMs boundary = (kStart / 60'000 + 1) * 60'000;
  std::tie(xy, yx) = both(ev(boundary - 1, ReservationCommitted{"r1", Usage{1, 7, 7}}),
                          ev(boundary + 1, reservation("r3", Usage{1, 1, 1}, kStart + 600'000), "b"));
  CHECK(xy.windows[0].used != yx.windows[0].used);
  // Hence the answer to a reordered write: the log's account up to it, the unanswered on top.
  AccountState current = s;
  const std::vector<Event> later{ev(kStart + 3'000, ReservationReleased{"r2", "failed"})};
  const AccountState mine = reordered_state(current, {&later});
  CHECK(mine.reservations.size() == 1);
  CHECK(mine.counters.released == 1);
}

TEST_CASE("shared append (b, c): two nodes with stale views: the log never spends headroom twice, live state == replay") {
  int reordered = 0, conflicts = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    Cluster c(seed);
    for (int i = 0; i < 1500; ++i) {
      c.step();
      if (i % 100 == 99) {  // quiescent points: everything answered and followed
        c.settle();
        for (const auto& n : c.nodes) REQUIRE(n.state == c.replay(c.log.size()));
      }
    }
    c.settle();
    // (c) Replaying the log admits and resolves exactly what was written.
    AccountState s;
    std::map<std::string, int> resolved;
    for (const auto& e : c.log) {
      CAPTURE(e.seq);
      if (const auto* r = std::get_if<ReservationCreated>(&e.payload)) REQUIRE(admission_refusal(s, r->estimate, e.ts).empty());
      REQUIRE(validate(s, e.payload, e.ts).verdict != Verdict::reject);
      apply(s, e);
      for (const auto& w : s.windows)
        if (w.limit > 0 && w.origin == WindowOrigin::config) REQUIRE(w.reserved <= w.limit);
    }
    for (const auto& n : c.nodes) CHECK(n.state == s);  // (b)
    reordered += c.reordered;
    conflicts += c.conflicts;
  }
  // Both ways ran, many times.
  MESSAGE("written reordered ", reordered, ", conflicts ", conflicts);
  CHECK(reordered > 500);
  CHECK(conflicts > 100);
}
