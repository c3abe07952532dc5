// tests/control/settle_message_test.cpp — a proxied request's commit and the outcome of its
// upstream call reach the account actor as one message (settle_atom with a Settlement), and on a
// log this node alone writes their events go to the journal as one quiet append, answered to
// nobody (messages/journal_protocol.hpp "quiet"; docs/PERFORMANCE.md issue 17 tenth pass). On a
// shared log each still goes as an append the journal answers (conflicts need the answer).
// Likewise an admission answered by the journal's notice (a ReserveAnswer): on one node's log the
// notice is the append's only answer, no reply comes back to the account.
//
// Real account actor; the journal is a stand-in that records how each append came (answered or
// quiet) and with which events, and answers as a journal that wrote them would.
#include "actors/account/account_actor.hpp"
#include "quota/account_state.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

using namespace qg;

namespace {

constexpr TimeMs kNow = 1'790'000'000'000;

struct Append {
  bool answered = true;          // a request (answered after its commit) or a quiet append
  std::vector<std::string> types;  // event types, in order
};

struct Appends {
  std::mutex m;
  std::vector<Append> seen;
  std::uint64_t seq = 1;
  AppendResult record(const EventBatch& batch, bool answered) {
    std::lock_guard<std::mutex> lock(m);
    Append a{answered, {}};
    for (const auto& e : batch) a.types.push_back(std::string(event_type(e)));
    seen.push_back(std::move(a));
    seq += batch.size();
    return AppendResult::written(seq);
  }
  std::vector<Append> since(std::size_t from) {
    std::lock_guard<std::mutex> lock(m);
    return {seen.begin() + static_cast<std::ptrdiff_t>(from), seen.end()};
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(m);
    return seen.size();
  }
};

journal_actor::behavior_type stand_in(journal_actor::pointer, std::shared_ptr<Appends> log) {
  return {
      [log](append_atom, EventBatch& b) { return log->record(b, true); },
      [log](append_atom, EventBatch& b, AppendCondition&) { return log->record(b, true); },
      [log](append_atom, EventBatch& b, AppendCondition&, lazy_atom) { return log->record(b, true); },
      [log](append_atom, EventBatch& b, AppendCondition&, DurableNoticePtr& n) {
        auto r = log->record(b, true);
        if (n) n->run();
        return r;
      },
      [log](append_atom, EventBatch& b, lazy_atom, quiet_atom) { log->record(b, false); },
      [log](append_atom, EventBatch& b, DurableNoticePtr& n, quiet_atom) {
        log->record(b, false);
        if (n) n->run();
      },
      [log](flush_atom) { return log->seq; },
      [log](snapshot_atom) { return log->seq; },
      [](journal_tick_atom) {},
      [](journal_retry_atom) {},
      [](journal_follow_atom) {},
      [](journal_poll_atom) {},
      [](journal_lazy_atom) {},
  };
}

AccountState account_with_limit() {
  AccountSpec spec;
  spec.provider = "openai";
  spec.limits = {{Metric::requests, 86'400, 1000}};
  AccountState s;
  apply(s, Event{1, kNow, "acct", AccountRegistered{spec}});
  return s;
}

struct World {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<Appends> log = std::make_shared<Appends>();
  journal_actor journal;
  account_actor account;
  explicit World(const std::string& node) {
    journal = sys.spawn(stand_in, log);
    AccountActorOptions o;
    o.journal = journal;
    o.clock = [] { return kNow; };
    o.tick_interval_ms = 600'000;
    o.node = node;  // "": one node's log (SQLite); else a shared log
    account = spawn_account(sys, account_with_limit(), o);
  }
  ~World() {
    anon_send_exit(account, caf::exit_reason::user_shutdown);
    anon_send_exit(journal, caf::exit_reason::user_shutdown);
  }
  std::string reserve() {
    caf::scoped_actor self{sys};
    ReserveCommand cmd;
    cmd.model = "m";
    cmd.estimate = Usage{1, 10, 10};
    std::string id;
    self->request(account, caf::infinite, reserve_atom::value, cmd)
        .receive([&](const ReserveReply& r) { id = r.reservation_id; }, [](const caf::error&) {});
    return id;
  }
  // Sends `s` and waits until the account has handed everything it appended to the journal:
  // the appends it made for it.
  std::vector<Append> settle(Settlement s) {
    const std::size_t before = log->size();
    caf::scoped_actor self{sys};
    self->send(account, settle_atom::value, std::move(s));
    self->request(account, caf::infinite, flush_atom::value).receive([](std::uint64_t) {}, [](const caf::error&) {});
    return log->since(before);
  }
  AccountState state() {
    caf::scoped_actor self{sys};
    AccountState out;
    self->request(account, caf::infinite, state_atom::value).receive([&](AccountState& s) { out = std::move(s); },
                                                                    [](const caf::error&) {});
    return out;
  }
};

Settlement commit_with_outcome(const std::string& id) {
  UpstreamOutcome o;
  o.http_status = 200;
  o.signals.windows = {ObservedWindow{Metric::requests, 86'400, 1000, 7, kNow + 3'600'000}};
  return Settlement{ReservationCommitted{id, Usage{1, 12, 5}, false}, o, std::make_shared<const LiveReservation>(id)};
}

}  // namespace

TEST_CASE("settle with its outcome, one node's log: one quiet append with the commit and the QuotaObserved") {
  World w("");
  const std::string id = w.reserve();
  REQUIRE_FALSE(id.empty());
  const auto appends = w.settle(commit_with_outcome(id));
  REQUIRE(appends.size() == 1);
  CHECK_FALSE(appends[0].answered);
  CHECK(appends[0].types == std::vector<std::string>{"ReservationCommitted", "QuotaObserved"});
  const AccountState s = w.state();
  CHECK(s.reservations.count(id) == 0);  // applied before any later command (§3)
}

TEST_CASE("settle alone: a quiet append on one node's log, an answered one on a shared log") {
  for (const std::string node : {"", "node-a"}) {
    CAPTURE(node);
    World w(node);
    const std::string id = w.reserve();
    REQUIRE_FALSE(id.empty());
    const auto appends = w.settle(Settlement{ReservationReleased{id, "upstream_timeout"}, std::nullopt,
                                             std::make_shared<const LiveReservation>(id)});
    REQUIRE(appends.size() == 1);
    CHECK(appends[0].answered == !node.empty());
    CHECK(appends[0].types == std::vector<std::string>{"ReservationReleased"});
  }
}

TEST_CASE("settle with its outcome on a shared log: the commit and the QuotaObserved each answered, in order") {
  World w("node-a");
  const std::string id = w.reserve();
  REQUIRE_FALSE(id.empty());
  const auto appends = w.settle(commit_with_outcome(id));
  REQUIRE(appends.size() == 2);
  CHECK(appends[0].answered);
  CHECK(appends[0].types == std::vector<std::string>{"ReservationCommitted"});
  CHECK(appends[1].answered);
  CHECK(appends[1].types == std::vector<std::string>{"QuotaObserved"});
}

// A reservation asked for as the router does (answered by a ReserveAnswer): whether it was granted.
bool reserve_answered(World& w) {
  ReserveCommand cmd;
  cmd.model = "m";
  cmd.estimate = Usage{1, 10, 10};
  auto granted = std::make_shared<std::promise<ReserveReply>>();
  auto grant = granted->get_future();
  caf::anon_send(w.account, reserve_atom::value, cmd,
                 std::make_shared<ReserveAnswer>([granted](ReserveReply r) { granted->set_value(std::move(r)); }));
  return grant.wait_for(std::chrono::seconds(20)) == std::future_status::ready && grant.get().ok();
}

TEST_CASE("an admission answered by its notice: a quiet append on one node's log, an answered one on a shared log") {
  for (const std::string node : {"", "node-a"}) {
    CAPTURE(node);
    World w(node);
    CHECK(reserve_answered(w));
    const auto appends = w.log->since(0);
    REQUIRE(appends.size() == 1);
    CHECK(appends[0].answered == !node.empty());
    CHECK(appends[0].types == std::vector<std::string>{"ReservationCreated"});
  }
}
