// actors/router/router_actor.cpp — decide, reserve on the chosen account, fall through on refusal.
#include "actors/router/router_actor.hpp"

#include "quota/config_sync.hpp"
#include "quota/account_summary.hpp"
#include "quota/circuit_breaker.hpp"
#include "actors/router/route_decision.hpp"
#include "actors/router/route_explain.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace qg {

namespace {

struct RouterActorState {
  RouterActorOptions opts;
  RouterSettings settings;           // effective: base + overrides in opts.state
  RouterView view;
  RouterRuntime runtime;
  std::map<std::string, account_actor> accounts;
  static inline const char* name = "router";
};

using self_ptr = router_actor::stateful_pointer<RouterActorState>;
using Deliver = std::function<void(RouteGrant)>;

// Who waits for a route's grant. An HTTP worker waits on a promise, which any thread may
// fulfil: the answer try_target sends with the reservation fulfils it (on the journal's thread
// once the reservation is durable). An actor waits on
// a response promise, which only this actor delivers.
struct Waiter {
  RouteGrantPromise promise;  // an HTTP worker, or null
  Deliver deliver;            // otherwise
  void operator()(RouteGrant g) const {
    if (promise) promise->set_value(std::move(g));
    else deliver(std::move(g));
  }
};

// A 503 because the event log cannot be written: the journal retries every second.
constexpr std::int64_t kStorageRetryAfterS = 1;

RouteGrant refusal(int status, std::string code, std::string message, std::int64_t retry_after_s = 0) {
  RouteGrant g;
  g.http_status = status;
  g.error_code = std::move(code);
  g.error_message = std::move(message);
  g.retry_after_s = retry_after_s;
  return g;
}

// Persists an event that belongs to the router (RouteSwitched, SettingChanged).
void persist(self_ptr self, Event e, std::function<void(const std::string&)> done) {
  e.node = self->state.opts.node;  // as the log will have it (RouterState::node_file_values)
  apply(self->state.opts.state, e);
  self->request(self->state.opts.journal, caf::infinite, append_atom::value, EventBatch{std::move(e)})
      .then([done](const AppendResult& r) { done(r.error); },
            [done](const caf::error& err) { done(caf::to_string(err)); });
}

void broadcast_settings(self_ptr self) {
  for (auto& [id, handle] : self->state.accounts) self->send(handle, settings_atom::value, self->state.settings);
}

// The one place a successful RouteGrant is built: the decision's view of `account` (score,
// zone, alternatives, fallback/drain notes) plus, when one was made, the reservation.
RouteGrant grant(const RouteDecision& d, const std::string& account, const ReserveReply* r, TimeMs expires_at) {
  RouteGrant g;
  g.ok = true;
  g.account_id = account;
  g.model_used = d.model_used;
  for (const auto& c : d.candidates) {
    if (c.account == account) { g.score = c.score; g.reason = c.zone; }
    else if (g.alternatives.size() < 3) g.alternatives.push_back(c.account);
  }
  if (d.fallback) g.reason += g.reason.empty() ? "fallback" : "; fallback";
  if (d.drain) g.reason += "; all accounts past critical: draining the least used";
  if (r) {
    g.reservation_id = r->reservation_id;
    g.expires_at = expires_at;
    g.provider = r->provider;
    g.base_url = r->base_url;
    g.prefix = r->prefix;
  }
  return g;
}

// The router's part of an admission: the sticky switch it may be (RouteSwitched) and the
// anti-flapping bookkeeping. After the waiter's answer when the account answered it directly.
void note_admission(self_ptr self, const RouteDecision& d, const std::string& account) {
  auto sw = switch_for_admitted(d, account);
  if (sw) {
    // Decisions run concurrently with earlier admissions: compare with the sticky choice as it
    // is now, so two requests deciding at once record one switch, not two.
    auto current = self->state.opts.state.sticky.find(sw->route_key);
    if (current != self->state.opts.state.sticky.end()) {
      if (current->second.account == sw->to) sw.reset();
      else sw->from = current->second.account;
    }
  }
  if (sw) {
    spdlog::info("route {}: {} -> {} ({})", sw->route_key, sw->from.empty() ? "-" : sw->from, sw->to, sw->reason);
    persist(self, Event{0, self->state.opts.clock(), "", std::move(*sw)}, [](const std::string& err) {
      if (!err.empty()) spdlog::warn("journal: route switch held until the log is writable: {}", err);
    });
  }
  note_admitted(self->state.runtime, d, account);
}

// Records a request the router could not place (RouteRefused: the demand `quotaguard simulate`
// replays). `account` is the pinned account, "" when the router chose.
void record_refusal(self_ptr self, const RouteRequest& req, const std::string& account, std::string error) {
  if (!req.reserve) return;  // a decision asked for without a request behind it
  RouteRefused r{req.model, to_string(req.dialect), req.client_key, req.estimate, req.request_id, std::move(error)};
  persist(self, Event{0, self->state.opts.clock(), account, std::move(r)}, [](const std::string& err) {
    if (!err.empty()) spdlog::debug("journal: refused request held until the log is writable: {}", err);
  });
}

// The reservation asked of an account for `req`; `model` is the one it serves.
ReserveCommand reserve_command(const RouteRequest& req, const std::string& model, bool pinned) {
  return ReserveCommand{req.estimate, model, req.ttl_ms, req.request_id, to_string(req.dialect),
                        model != req.model ? req.model : "", req.client_key, pinned};
}

RouteGrant log_unavailable(const ReserveReply& r) {
  return refusal(503, "unavailable", r.error, kStorageRetryAfterS);
}

// Asks targets[i] to reserve. An HTTP worker's promise is answered by the answer below, on the
// journal's thread right after the commit for an admission, on the account's otherwise (it
// reads only the immutable decision and messages this actor); a refusal comes back here as
// retry_atom. An actor's response promise is answered here.
void try_target(self_ptr self, RouteDecisionPtr d, std::size_t i, const RouteRequest& req, Waiter waiter) {
  if (i >= d->targets.size()) {
    record_refusal(self, req, "", "quota_exhausted");
    waiter(refusal(429, "quota_exhausted", "every candidate account refused the reservation", 1));
    return;
  }
  const std::string& account = d->targets[i];
  auto it = self->state.accounts.find(account);
  if (it == self->state.accounts.end()) { try_target(self, d, i + 1, req, std::move(waiter)); return; }
  const TimeMs expires_at = self->state.opts.clock() + req.ttl_ms;
  ReserveCommand cmd = reserve_command(req, d->model_used, false);
  if (waiter.promise) {
    auto answer = std::make_shared<ReserveAnswer>(
        [router = caf::actor_cast<router_actor>(self), d, i, req, promise = waiter.promise, account,
         expires_at](ReserveReply r) {
          if (r.ok()) {
            promise->set_value(grant(*d, account, &r, expires_at));
            if (admission_news(*d, account)) caf::anon_send(router, admitted_atom::value, d, account);
          } else if (!r.error.empty()) {
            promise->set_value(log_unavailable(r));
          } else {
            caf::anon_send(router, retry_atom::value, d, i + 1, req, promise);  // raced: the next candidate
          }
        });
    self->send(it->second, reserve_atom::value, std::move(cmd), std::move(answer));
    return;
  }
  self->request(it->second, caf::infinite, reserve_atom::value, std::move(cmd))
      .then(
          [=](const ReserveReply& r) {
            if (r.ok()) {
              note_admission(self, *d, account);
              waiter(grant(*d, account, &r, expires_at));
            } else if (!r.error.empty()) {
              waiter(log_unavailable(r));
            } else {
              try_target(self, d, i + 1, req, waiter);  // raced: the next candidate
            }
          },
          [=](const caf::error&) { try_target(self, d, i + 1, req, waiter); });
}

void route(self_ptr self, const RouteRequest& req, Waiter deliver) {
  const TimeMs now = self->state.opts.clock();
  if (!req.account.empty()) {  // pinned by the caller (advisory reserve)
    auto it = self->state.accounts.find(req.account);
    if (it == self->state.accounts.end()) { deliver(refusal(404, "not_found", "unknown account " + req.account)); return; }
    auto d = std::make_shared<RouteDecision>();
    d->model_asked = d->model_used = req.model;
    d->targets = {req.account};
    d->policy = RoutePolicy::fill_first;  // no sticky bookkeeping for pinned requests
    self->request(it->second, caf::infinite, reserve_atom::value, reserve_command(req, req.model, true))
        .then([=](const ReserveReply& r) {
                if (r.ok()) deliver(grant(*d, req.account, &r, now + req.ttl_ms));
                else if (!r.error.empty()) deliver(log_unavailable(r));
                else {
                  record_refusal(self, req, req.account, "quota_exhausted");
                  deliver(refusal(429, "quota_exhausted", "account " + req.account + ": " + r.refusal, 1));
                }
              },
              [=](const caf::error& e) { deliver(refusal(503, "unavailable", caf::to_string(e))); });
    return;
  }
  auto d = std::make_shared<RouteDecision>(decide(self->state.view, self->state.opts.state, req,
                                             self->state.settings, now, self->state.runtime));
  if (!d->ok()) {
    record_refusal(self, req, "", to_string(d->error));
    if (d->error == RouteError::no_account_for_model)
      deliver(refusal(404, "model_not_found", d->message));
    else
      deliver(refusal(429, "quota_exhausted", d->message, retry_after_seconds(*d, now)));
    return;
  }
  if (!req.reserve) {
    deliver(grant(*d, d->chosen(), nullptr, 0));
    return;
  }
  try_target(self, d, 0, req, std::move(deliver));
}

router_actor::behavior_type router_behavior(self_ptr self, RouterActorOptions opts) {
  self->state.opts = std::move(opts);
  self->state.settings = effective_settings(self->state.opts.base, self->state.opts.state);
  return {
      [=](summary_atom, AccountSummary& s, const account_actor& handle) {
        const bool known = self->state.accounts.count(s.id) > 0;
        self->state.accounts[s.id] = handle;
        self->state.view.upsert(std::move(s));
        if (!known) self->send(handle, settings_atom::value, self->state.settings);
      },
      [=](route_atom, const RouteRequest& req, const RouteGrantPromise& promise) {
        route(self, req, Waiter{promise, nullptr});
      },
      [=](route_atom, const RouteRequest& req) -> caf::result<RouteGrant> {
        auto rp = self->make_response_promise<RouteGrant>();
        route(self, req, Waiter{nullptr, [rp](RouteGrant g) mutable { rp.deliver(std::move(g)); }});
        return rp;
      },
      [=](admitted_atom, const RouteDecisionPtr& d, const std::string& account) {
        note_admission(self, *d, account);
      },
      [=](retry_atom, const RouteDecisionPtr& d, std::size_t next, const RouteRequest& req,
          const RouteGrantPromise& promise) { try_target(self, d, next, req, Waiter{promise, nullptr}); },
      [=](explain_atom, const RouteRequest& req) -> RouteExplanation {
        const TimeMs now = self->state.opts.clock();
        DecideOptions options;
        options.explain = true;
        RouteDecision d = decide(self->state.view, self->state.opts.state, req,
                            self->state.settings, now, self->state.runtime, options);
        return explain(d, self->state.view, self->state.settings, now);
      },
      [=](setting_atom, const std::string& key, const std::string& value,
          const std::string& source) -> caf::result<CommandReply> {
        RouterSettings next = self->state.settings;
        auto errors = apply_setting_text(next, key, value);
        if (errors.empty()) errors = validate(next);
        if (!errors.empty()) return CommandReply{false, 0, errors.front(), ReplyCode::rejected};
        // Store the normalised value so the log reads the same whatever the input spelling.
        const std::string normalised = setting_json(next, key).dump();
        self->state.settings = next;
        broadcast_settings(self);
        auto rp = self->make_response_promise<CommandReply>();
        persist(self, Event{0, self->state.opts.clock(), "", SettingChanged{key, normalised, source}},
                [rp](const std::string& err) mutable {
                  rp.deliver(err.empty() ? CommandReply{true, 0, "", ReplyCode::done}
                                         : CommandReply{false, 0, "event log unavailable: " + err,
                                                        ReplyCode::journal_unavailable});
                });
        return rp;
      },
      [=](summary_atom) -> RouterSnapshot {
        RouterSnapshot snap;
        snap.settings = std::make_shared<const RouterSettings>(self->state.settings);
        for (const auto& [key, s] : self->state.opts.state.sticky) snap.sticky[key] = s.account;
        for (const auto& a : self->state.view.accounts()) snap.accounts.push_back(a.id);
        return snap;
      },
      [=](accounts_atom) { return self->state.accounts; },
      [=](add_account_atom, const std::string& id, const account_actor& handle) {
        self->state.accounts[id] = handle;
        self->send(handle, settings_atom::value, self->state.settings);
      },
      [=](follow_atom, const Event& e) {
        // Another node's sticky choice or setting: the same fold as replay (router_state.hpp).
        apply(self->state.opts.state, e);
        if (!std::holds_alternative<SettingChanged>(e.payload)) return;
        self->state.settings = effective_settings(self->state.opts.base, self->state.opts.state);
        broadcast_settings(self);
      },
      [=](config_atom, const RouterSettings& file) -> CommandReply {
        self->state.opts.base = file;
        std::vector<std::string> left;
        for (auto& e : setting_sync_events(file, self->state.opts.state, self->state.opts.clock(),
                                           self->state.opts.node, &left))
          persist(self, std::move(e), [](const std::string& err) {
            if (!err.empty()) spdlog::warn("journal: setting from config held until the log is writable: {}", err);
          });
        for (const auto& why : left)
          spdlog::info("config reload: router setting {} kept (a runtime change or another node's file set it since)", why);
        self->state.settings = effective_settings(self->state.opts.base, self->state.opts.state);
        broadcast_settings(self);
        return CommandReply{true, 0, "", ReplyCode::done};
      },
  };
}

}  // namespace

router_actor spawn_router(caf::actor_system& sys, RouterActorOptions opts) {
  return sys.spawn(router_behavior, std::move(opts));
}

}  // namespace qg
