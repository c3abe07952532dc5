// sim/simulation.cpp — see simulation.hpp.
#include "sim/simulation.hpp"

#include "actors/router/route_decision.hpp"
#include "messages/upstream_outcome.hpp"
#include "quota/account_state.hpp"
#include "quota/account_summary.hpp"
#include "quota/admission.hpp"
#include "quota/circuit_breaker.hpp"
#include "quota/router_state.hpp"
#include "sim/run_stats.hpp"
#include "sim/sim_settings.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace qg::sim {

namespace {

struct World {
  std::map<std::string, AccountState> accounts;
  RouterState router;
  RouterSettings settings;
  RunTracker tracker;
  explicit World(bool series) : tracker(series) {}
};

// A recorded reservation still open, and where the simulation put the same attempt.
struct OpenAttempt {
  std::string simulated;     // account; "" when the simulation refused it
  std::string request_id;
  RunOutcome recorded = RunOutcome::served;
  RunOutcome simulated_outcome = RunOutcome::refused;
};

// A request whose attempt failed upstream: its next attempt is a retry.
struct RequestRetry {
  bool pending = false;
  RunOutcome recorded = RunOutcome::none;
  RunOutcome simulated = RunOutcome::none;
  std::vector<std::string> failed;  // accounts that failed it in the simulation
};

// Where the simulation places one attempt (computed before either run changes).
struct Placement {
  std::string account;       // "" = refused
  RunOutcome outcome = RunOutcome::refused;
  RouteDecision decision;
  ReservationCreated created;
};

bool same_for_routing(const AccountState& a, const AccountState& b) {
  if (a.removed != b.removed || a.drained != b.drained || a.cooldown_until != b.cooldown_until ||
      a.spec.enabled != b.spec.enabled || a.spec.priority != b.spec.priority || a.spec.models != b.spec.models ||
      a.windows.size() != b.windows.size())
    return false;
  for (std::size_t i = 0; i < a.windows.size(); ++i) {
    const auto &x = a.windows[i], &y = b.windows[i];
    if (x.metric != y.metric || x.window_s != y.window_s || x.limit != y.limit || x.used != y.used ||
        x.reserved != y.reserved || x.reset_at != y.reset_at)
      return false;
  }
  return true;
}

std::int64_t used_at(const AccountState& s, const ObservedWindow& o, TimeMs now) {
  for (const auto& w : s.windows)
    if (w.origin == WindowOrigin::observed && w.metric == o.metric && w.window_s == o.window_s)
      return w.reset_at > 0 && now >= w.reset_at ? 0 : w.used;
  return 0;
}

// The request as the router got it: what decide() reads of a recorded request.
RouteRequest request_of(const std::string& model, const std::string& client, const Usage& estimate,
                        const std::string& dialect) {
  RouteRequest r;
  r.model = model;
  r.client_key = client;
  r.estimate = estimate;
  r.dialect = parse_dialect(dialect).value_or(Dialect::chat);
  return r;
}

}  // namespace

// One account in both runs, found with one lookup per event (std::map nodes do not move).
struct Slot {
  AccountState* rec = nullptr;
  AccountState* sim = nullptr;
  BreakerState* breaker = nullptr;  // simulated run only: the recorded one needs none
  bool dirty = false;               // the simulated state changed since its summary was taken
  TimeMs changed_at = 0;            // ... last at this time
};

struct Simulation::Impl {
  SimOptions opt;
  World rec, sim;
  std::map<std::string, BreakerState> breakers;
  std::unordered_map<std::string, Slot> slots;   // account id ->
  std::vector<Slot*> dirty;                      // slots whose summary is out of date
  RouterView view;                               // the simulated accounts as decide() reads them
  RouterRuntime runtime;
  std::unordered_map<std::string, OpenAttempt> open;     // recorded reservation id ->
  std::unordered_map<std::string, RequestRetry> retries;  // request id ->
  std::size_t pending_retries = 0;                        // entries of `retries` with pending set
  SimReport report;
  TimeMs first_ts = 0, last_ts = 0;
  bool in_span = false;
  bool settings_differ = false;  // the simulated settings are not the recorded ones
  // The soonest window reset after some summary was taken: from then on that summary is stale
  // (the daemon's account actors push a fresh one every second; here it is redone on demand).
  TimeMs next_roll = std::numeric_limits<TimeMs>::max();

  explicit Impl(SimOptions o) : opt(std::move(o)), rec(opt.series), sim(opt.series) {
    report.settings_as_recorded = !opt.settings && !opt.policy && !opt.thresholds && !opt.hysteresis &&
                                  !opt.min_dwell_ms && opt.limits.empty();
    refresh_settings();
  }

  void refresh_settings() {
    rec.settings = effective_settings(RouterSettings{}, rec.router);
    sim.settings = simulated_settings(effective_settings(RouterSettings{}, sim.router), opt);
    settings_differ = !(rec.settings == sim.settings);
  }

  Slot& slot(const std::string& id) {
    auto it = slots.find(id);
    if (it != slots.end()) return it->second;
    Slot& x = slots[id];
    x.rec = &rec.accounts[id];
    x.sim = &sim.accounts[id];
    x.rec->id = x.sim->id = id;
    x.breaker = &breakers[id];
    return x;
  }

  void apply_to(World& w, Slot& x, const Event& e) {
    AccountState& s = &w == &sim ? *x.sim : *x.rec;
    w.tracker.advance(s, e.ts, w.settings.thresholds);
    apply(s, e);
    w.tracker.sample(s, e.ts);
    if (&w == &sim) {
      apply(*x.breaker, e);
      // The daemon's account actor pushes a summary after every event; taken lazily here (just
      // before the next decision reads the view) but as of the same time, so it is the same.
      if (!x.dirty) dirty.push_back(&x);
      x.dirty = true;
      x.changed_at = e.ts;
    }
  }
  void apply_to(World& w, const Event& e) { apply_to(w, slot(e.account), e); }

  // The summaries of the accounts changed since the view was last read, taken again.
  void flush_summaries() {
    for (Slot* x : dirty) {
      x->dirty = false;
      resummarize(*x->sim, x->changed_at, *x->breaker);
    }
    dirty.clear();
  }

  void resummarize(const AccountState& s, TimeMs now, const BreakerState& breaker) {
    AccountSummary sum = summarize(s, now, &breaker);
    for (const auto& w : sum.windows)
      if (w.reset_at > now) next_roll = std::min(next_roll, w.reset_at);
    view.upsert(std::move(sum));
  }

  // Summaries whose windows have reset since they were taken, taken again at `now`.
  void roll_view(TimeMs now) {
    flush_summaries();
    if (now < next_roll) return;
    next_roll = std::numeric_limits<TimeMs>::max();
    for (const auto& [id, s] : sim.accounts) {
      const AccountSummary* cur = view.find(id);
      bool stale = !cur;
      for (std::size_t i = 0; cur && i < cur->windows.size(); ++i) {
        const TimeMs r = cur->windows[i].reset_at;
        if (r > cur->summarized_at && r <= now) stale = true;
        else if (r > now) next_roll = std::min(next_roll, r);
      }
      if (stale) resummarize(s, now, *slot(id).breaker);
    }
  }

  void apply_both(const Event& e) {
    Slot& x = slot(e.account);
    apply_to(rec, x, e);
    apply_to(sim, x, e);
  }

  // The simulated run takes the account's limits from --accounts-limits / --config when given.
  Event with_limits(const Event& e) {
    auto it = opt.limits.find(e.account);
    if (it == opt.limits.end()) return e;
    Event out = e;
    if (auto* r = std::get_if<AccountRegistered>(&out.payload)) r->spec.limits = it->second;
    if (auto* u = std::get_if<AccountUpdated>(&out.payload)) u->spec.limits = it->second;
    return out;
  }

  void begin_span(TimeMs at) {
    in_span = true;
    rec.tracker.start(rec.accounts, at, rec.settings.thresholds);
    sim.tracker.start(sim.accounts, at, sim.settings.thresholds);
    flush_summaries();
    for (auto& [id, s] : sim.accounts) resummarize(s, at, *slot(id).breaker);
  }

  void feed(const Event& e) {
    if (opt.until && e.ts > opt.until) return;
    ++report.events;
    if (first_ts == 0) first_ts = e.ts;
    last_ts = std::max(last_ts, e.ts);
    if (!in_span && e.ts >= opt.since) begin_span(opt.since ? opt.since : e.ts);
    std::visit([&](const auto& p) { on(e, p); }, e.payload);
  }

  // ---- requests -----------------------------------------------------------------------

  Placement place(const RouteRequest& req, const std::string& pinned, const ReservationCreated& recorded,
                  TimeMs now) {
    roll_view(now);
    Placement p;
    if (!pinned.empty()) {
      try_targets(p, {pinned}, req.model, req, recorded, true, now);
      return p;
    }
    // The daemon tries up to 4 accounts in order; the first nearly always admits, so decide for
    // that one alone, and again for all 4 only when it refuses (targets[0] is the same).
    DecideOptions first;
    first.max_targets = 1;
    p.decision = decide(view, sim.router, req, sim.settings, now, runtime, first);
    if (!p.decision.ok() || try_targets(p, p.decision.targets, p.decision.model_used, req, recorded, false, now))
      return p;
    p.decision = decide(view, sim.router, req, sim.settings, now, runtime);
    try_targets(p, p.decision.targets, p.decision.model_used, req, recorded, false, now);
    return p;
  }

  // The first of `targets` that admits the reservation (as the router's try_target does).
  bool try_targets(Placement& p, const std::vector<std::string>& targets, const std::string& model,
                   const RouteRequest& req, const ReservationCreated& recorded, bool pinned, TimeMs now) {
    for (const auto& target : targets) {
      auto it = slots.find(target);
      if (it == slots.end()) continue;
      ReservationCreated c = recorded;
      c.model = model;
      c.asked = model == req.model ? "" : req.model;
      c.pinned = pinned;
      const Admission a = admit(*it->second.sim, *it->second.breaker, nullptr,
                                AdmissionOptions{false, 0, sim.settings.breaker}, c, now);
      if (a.verdict != Admission::Verdict::admit) continue;
      p.account = target;
      p.outcome = p.decision.fallback ? RunOutcome::fallback : RunOutcome::served;
      p.created = std::move(c);
      return true;
    }
    return false;
  }

  void admit_placement(const Event& e, Placement& p, bool pinned) {
    if (p.account.empty()) return;
    Slot& x = slot(p.account);
    if (half_open(x.sim->cooldown_until, e.ts)) begin_probe(*x.breaker, e.ts);
    apply_to(sim, x, Event{e.seq, e.ts, p.account, p.created});
    if (pinned) return;
    if (auto sw = switch_for_admitted(p.decision, p.account)) {
      Event se{e.seq, e.ts, "", *sw};
      apply(sim.router, se);
      sim.tracker.switched(*sw, e.ts, sim.settings.anti_flapping.min_dwell_ms);
    }
    note_admitted(runtime, p.decision, p.account);
  }

  // One attempt of a recorded request. `recorded` is the account the daemon chose ("" = refused).
  void attempt(const Event& e, const RouteRequest& req, const std::string& pinned, const ReservationCreated& created,
               const std::string& recorded, RunOutcome rec_now) {
    RequestRetry* retry = nullptr;
    if (pending_retries > 0 && !created.request_id.empty()) {
      auto it = retries.find(created.request_id);
      if (it != retries.end() && it->second.pending) retry = &it->second;
    }
    const RunOutcome rec_prev = retry ? retry->recorded : RunOutcome::none;
    const RunOutcome sim_prev = retry ? retry->simulated : RunOutcome::none;
    const bool skip = retry && retry->simulated == RunOutcome::refused;  // that client had its 429

    Placement p;
    if (!skip) {
      RouteRequest r = req;
      if (retry) r.exclude = retry->failed;
      p = place(r, pinned, created, e.ts);
      if (p.account != recorded)  // "" = refused, in both
        diverged(e, r, created.request_id, recorded.empty() ? "refused" : recorded,
                 p.account.empty() ? "refused" : p.account);
    }
    if (retry) {
      retry->pending = false;
      --pending_retries;
      retry->recorded = rec_now;
      if (!skip) retry->simulated = p.outcome;
    }
    if (!recorded.empty()) {
      apply_to(rec, e);
      open[created.id] = OpenAttempt{p.account, created.request_id, rec_now, skip ? RunOutcome::refused : p.outcome};
    }
    rec.tracker.outcome(e.ts, rec_now, rec_prev);
    if (skip) return;
    sim.tracker.outcome(e.ts, p.outcome, sim_prev);
    admit_placement(e, p, !pinned.empty());
    if (recorded.empty() && !p.account.empty())  // refused when recorded: no outcome will come
      apply_to(sim, Event{e.seq, e.ts, p.account, ReservationCommitted{p.created.id, p.created.estimate, true}});
  }

  void on(const Event& e, const ReservationCreated& c) {
    if (!in_span) {  // before the span both runs are the recorded one
      apply_both(e);
      open[c.id] = OpenAttempt{e.account, c.request_id, RunOutcome::served, RunOutcome::served};
      return;
    }
    const RouteRequest req = request_of(c.asked.empty() ? c.model : c.asked, c.client, c.estimate, c.dialect);
    const bool fallback = !c.asked.empty() && c.asked != c.model;
    attempt(e, req, c.pinned ? e.account : "", c, e.account, fallback ? RunOutcome::fallback : RunOutcome::served);
  }

  void on(const Event& e, const RouteRefused& r) {
    if (!in_span) return;
    const RouteRequest req = request_of(r.model, r.client, r.estimate, r.dialect);
    ReservationCreated c{"sim-" + std::to_string(e.seq), r.model, r.estimate, e.ts + 600'000, r.request_id,
                         r.dialect, "", r.client, !e.account.empty()};
    attempt(e, req, e.account, c, "", RunOutcome::refused);
  }

  template <class Resolution>
  void resolve(const Event& e, const std::string& id) {
    apply_to(rec, e);
    auto it = open.find(id);
    if (it == open.end()) return;
    OpenAttempt a = std::move(it->second);
    open.erase(it);
    if (!a.simulated.empty()) apply_to(sim, Event{e.seq, e.ts, a.simulated, e.payload});
    if constexpr (std::is_same_v<Resolution, ReservationReleased>) {
      const auto& reason = std::get<ReservationReleased>(e.payload).reason;
      if (!a.request_id.empty() && is_upstream_release_reason(reason)) {
        RequestRetry& r = retries[a.request_id];
        if (!r.pending) ++pending_retries;
        r.pending = true;
        r.recorded = a.recorded;
        r.simulated = a.simulated_outcome;
        if (!a.simulated.empty()) r.failed.push_back(a.simulated);
      }
    }
  }
  void on(const Event& e, const ReservationCommitted& c) { resolve<ReservationCommitted>(e, c.id); }
  void on(const Event& e, const ReservationReleased& r) { resolve<ReservationReleased>(e, r.id); }
  void on(const Event& e, const ReservationExpired& x) { resolve<ReservationExpired>(e, x.id); }

  // ---- signals and settings ---------------------------------------------------------------

  void on(const Event& e, const QuotaObserved& q) {
    QuotaObserved moved = q;
    Slot& x = slot(e.account);
    for (auto& o : moved.windows)
      o.used = std::max<std::int64_t>(0, o.used - used_at(*x.rec, o, e.ts) + used_at(*x.sim, o, e.ts));
    apply_to(rec, x, e);
    apply_to(sim, x, Event{e.seq, e.ts, e.account, std::move(moved)});
  }

  void on(const Event& e, const CooldownStarted& c) {
    apply_both(e);
    if (c.reason == "rate_limited") {
      rec.tracker.rate_limited(e.account, e.ts);
      sim.tracker.rate_limited(e.account, e.ts);
    }
  }

  void on(const Event& e, const RouteSwitched& sw) {
    apply(rec.router, e);
    rec.tracker.switched(sw, e.ts, rec.settings.anti_flapping.min_dwell_ms);
    if (!in_span) {
      apply(sim.router, e);
      sim.tracker.switched(sw, e.ts, sim.settings.anti_flapping.min_dwell_ms);
    }
  }

  void on(const Event& e, const SettingChanged&) {
    apply(rec.router, e);
    apply(sim.router, e);
    refresh_settings();
  }

  void on(const Event& e, const ThresholdCrossed&) { apply_to(rec, e); }  // alerts of the recorded run only
  void on(const Event&, const UnknownEvent&) {}
  template <class Lifecycle>
  void on(const Event& e, const Lifecycle&) {  // registration, removal, drain, resume, cooldown end
    if (e.account.empty()) return;             // global events without routing effect (auth folders)
    apply_to(rec, e);
    apply_to(sim, with_limits(e));
  }

  // ---- divergences -------------------------------------------------------------------------

  void diverged(const Event& e, const RouteRequest& req, const std::string& request_id,
                const std::string& recorded, const std::string& simulated) {
    ++report.divergences;
    // Every divergence is counted by cause; the numbers behind it are worked out only for the
    // ones listed (a what-if run can diverge at nearly every request).
    const bool listed = report.first_divergences.size() < kMaxListedDivergences;
    Divergence d;
    if (settings_differ) {
      d.cause = "settings";
      if (listed) d.detail = settings_difference(rec.settings, sim.settings);
    } else if (auto why = state_difference(req); !why.empty()) {
      d.cause = "state";
      d.detail = std::move(why);
    } else {
      d.cause = "not_in_log";
      if (listed) d.detail = unexplained(req, recorded, e.ts);
    }
    ++report.divergence_causes[d.cause];
    if (!listed) return;
    d.seq = e.seq;
    d.at = e.ts;
    d.request_id = request_id;
    d.model = req.model;
    d.recorded = recorded;
    d.simulated = simulated;
    report.first_divergences.push_back(std::move(d));
  }

  std::string state_difference(const RouteRequest& req) {
    for (const auto& [id, r] : rec.accounts) {
      auto it = sim.accounts.find(id);
      if (it == sim.accounts.end() || !same_for_routing(r, it->second))
        return "account " + id + " holds other quota or status than recorded (limits or earlier decisions)";
    }
    const std::string key = route_key_for(req, sim.settings);
    auto a = rec.router.sticky.find(key), b = sim.router.sticky.find(key);
    const std::string ra = a == rec.router.sticky.end() ? "" : a->second.account;
    const std::string sa = b == sim.router.sticky.end() ? "" : b->second.account;
    if (ra != sa) return "sticky choice of " + key + ": " + (ra.empty() ? "none" : ra) + " recorded, " +
                         (sa.empty() ? "none" : sa) + " simulated";
    return {};
  }

  // Same settings, same state, another answer: the live router saw something the log lacks.
  std::string unexplained(const RouteRequest& req, const std::string& recorded, TimeMs now) {
    DecideOptions o;
    o.explain = true;
    const RouteDecision d = decide(view, sim.router, req, sim.settings, now, runtime, o);
    for (const auto& x : d.excluded)
      if (x.account == recorded)
        return recorded + " excluded here: " + x.reason + (x.detail.empty() ? "" : " (" + x.detail + ")");
    for (const auto& c : d.candidates)
      if (c.account == recorded)
        return recorded + " ranked below " + d.chosen() + " here (score " + std::to_string(c.score) +
               "); the live view differed (breaker error rate, a summary in flight, concurrent requests)";
    return "the live router saw a signal the log does not hold";
  }

  SimReport finish() {
    const TimeMs end = opt.until ? opt.until : last_ts;
    if (!in_span) begin_span(opt.since ? opt.since : end);
    report.from = opt.since ? opt.since : first_ts;
    report.to = end;
    report.recorded_settings = rec.settings;
    report.simulated_settings = sim.settings;
    report.recorded = rec.tracker.finish(rec.accounts, end, rec.settings.thresholds);
    report.simulated = sim.tracker.finish(sim.accounts, end, sim.settings.thresholds);
    return std::move(report);
  }
};

Simulation::Simulation(SimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Simulation::~Simulation() = default;
void Simulation::feed(const Event& e) { impl_->feed(e); }
SimReport Simulation::finish() { return impl_->finish(); }

}  // namespace qg::sim
