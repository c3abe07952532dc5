// messages/router_protocol.hpp — the message interface of the router actor.
//
// The router holds a compact view of every account (pushed by the account actors after each
// change), the event-sourced RouterState (sticky routes, setting overrides) and the effective
// RouterSettings. It decides with the pure qg::decide and asks the chosen account actor to
// reserve; if that account refuses (raced), it tries the next target.
//
// HTTP worker threads are not actors: they send (route_atom, RouteRequest, RouteGrantPromise)
// with anon_send and wait on the promise (docs/ARCHITECTURE.md, "Toolchain facts": a promise
// bridge costs ~2 µs, and unlike a reused scoped_actor with a finite timeout it does not degrade).
// The account actor that admits such a request hands the journal, with its ReservationCreated,
// the answer that fulfils the promise: the journal runs it on its thread right after the commit
// (the reservation durable) and it tells the router afterwards (admitted); an account that
// refuses hands the request back (retry) for the next target. Route a request: worker ->
// router -> account -> journal -> worker (the journal's reply still goes to the account, which
// answers only when the journal did not: a failed write, a conflict on a shared log).
#pragma once

#include "messages/account_protocol.hpp"
#include "messages/event.hpp"
#include "messages/route_explanation.hpp"
#include "messages/route_grant.hpp"
#include "messages/route_request.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <nlohmann/json_fwd.hpp>

#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qg {

struct AccountSummary;
struct RouterSettings;

using RouteGrantPromise = std::shared_ptr<std::promise<RouteGrant>>;
struct RouteDecision;  // actors/router/route_decision.hpp; immutable once made
using RouteDecisionPtr = std::shared_ptr<const RouteDecision>;


// What the router knows, for status pages.
struct RouterSnapshot {
  std::shared_ptr<const RouterSettings> settings;  // effective settings (never null from the router)
  std::map<std::string, std::string> sticky;  // route key -> account
  std::vector<std::string> accounts; // ids in the view
};

using route_atom = caf::atom_constant<caf::atom("route")>;
using explain_atom = caf::atom_constant<caf::atom("explain")>;
using setting_atom = caf::atom_constant<caf::atom("setting")>;
using summary_atom = caf::atom_constant<caf::atom("summary")>;
using accounts_atom = caf::atom_constant<caf::atom("accounts")>;
using add_account_atom = caf::atom_constant<caf::atom("addacc")>;
using config_atom = caf::atom_constant<caf::atom("config")>;
using admitted_atom = caf::atom_constant<caf::atom("admitted")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

// summary: an account's latest summary (sent by account actors after each change).
// route (+promise): decide and reserve; the promise is fulfilled exactly once.
// explain: the decision the router would take now, explained (reserves nothing).
// setting: validate + persist + apply one runtime setting (key, JSON value text, source).
// summary_atom (no args): the router's snapshot. accounts: the account actors it knows.
// config: the settings now in config.yaml (reload): keys whose file value changed are written
//         as SettingChanged{source: config} and take effect (INTERFACE §2 precedence).
// add_account: a new account actor (spawned after start-up, e.g. by discovery).
// follow: a router event another node committed (RouteSwitched, SettingChanged; shared logs,
//         docs/EVENT_LOG.md §7.4): applied to the router state as replay applies it, the
//         effective settings recomputed and pushed to the accounts.
// admitted, retry: internal, sent by a route's reservation answer (on the journal's thread for
//         an admission, on the account's for a refusal):
//         `account` admitted (the worker has its grant; the router records the switch and the
//         admission; sent only when there is one to record: admission_news), or refused (the
//         router tries targets[next]).
using router_actor = caf::typed_actor<
    caf::reacts_to<summary_atom, AccountSummary, account_actor>,
    caf::reacts_to<route_atom, RouteRequest, RouteGrantPromise>,
    caf::replies_to<route_atom, RouteRequest>::with<RouteGrant>,
    caf::replies_to<explain_atom, RouteRequest>::with<RouteExplanation>,
    caf::replies_to<setting_atom, std::string, std::string, std::string>::with<CommandReply>,
    caf::replies_to<summary_atom>::with<RouterSnapshot>,
    caf::replies_to<accounts_atom>::with<std::map<std::string, account_actor>>,
    caf::reacts_to<add_account_atom, std::string, account_actor>,
    caf::reacts_to<follow_atom, Event>,
    caf::replies_to<config_atom, RouterSettings>::with<CommandReply>,
    caf::reacts_to<admitted_atom, RouteDecisionPtr, std::string>,
    caf::reacts_to<retry_atom, RouteDecisionPtr, std::size_t, RouteRequest, RouteGrantPromise>>;

}  // namespace qg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouteRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouteGrant)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouteGrantPromise)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouteDecisionPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouteExplanation)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::RouterSnapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(qg::AccountSummary)
