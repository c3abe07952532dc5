// actors/router/route_decision.cpp — candidates, zones, ranking, stickiness and fallback.
#include "actors/router/route_decision.hpp"

#include "actors/router/route_scoring.hpp"

#include <algorithm>
#include <cctype>

namespace qg {

const char* to_string(RouteError e) {
  switch (e) {
    case RouteError::none: return "none";
    case RouteError::quota_exhausted: return "quota_exhausted";
    case RouteError::no_account_for_model: return "no_account_for_model";
  }
  return "none";
}

const std::string& RouteDecision::chosen() const {
  static const std::string empty;
  return targets.empty() ? empty : targets.front();
}

std::string route_key_for(const RouteRequest& r, const RouterSettings& settings) {
  std::string key = r.model;
  if (settings.route_by_client_key && !r.client_key.empty()) key += "|" + r.client_key;
  if (r.dialect != Dialect::chat) key += std::string("#") + to_string(r.dialect);
  return key;
}

namespace {

std::string normalised_model(std::string_view m) {
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.front()))) m.remove_prefix(1);
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back()))) m.remove_suffix(1);
  std::string out(m);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (out.rfind("models/", 0) == 0) out.erase(0, 7);
  return out;
}

}  // namespace

std::vector<std::string> models_to_try(const std::string& model, const RouterSettings& settings) {
  std::vector<std::string> out{model};
  auto it = settings.fallback_chains.find(model);
  if (it == settings.fallback_chains.end()) it = settings.fallback_chains.find(normalised_model(model));
  if (it == settings.fallback_chains.end()) return out;
  for (const auto& alt : it->second)
    if (std::find(out.begin(), out.end(), alt) == out.end()) out.push_back(alt);
  return out;
}

namespace {

// The accounts serving one model, each evaluated for this request.
struct ModelEvals {
  std::string model;
  std::vector<AccountEval> evals;  // ascending view index (= ascending id)
};

ModelEvals evaluate_model(const RouterView& view, const std::string& model, const RouteRequest& req,
                          const RouterSettings& settings, TimeMs now) {
  ModelEvals m{model, {}};
  const auto& serving = view.serving(model);
  m.evals.reserve(serving.size());
  for (std::uint32_t i : serving) {
    const AccountSummary& a = view.accounts()[i];
    const bool excluded = !req.exclude.empty() &&
        std::find(req.exclude.begin(), req.exclude.end(), a.id) != req.exclude.end();
    m.evals.push_back(evaluate(a, i, req.estimate, now, settings.breaker, excluded));
    if (!(a.dialects & dialect_bit(req.dialect))) m.evals.back().reason = Exclusion::not_serving_dialect;
  }
  return m;
}

// Applies the threshold zones (module comment of route_decision.hpp); returns how many
// accounts stay eligible. `drain` admits past-critical accounts when no account is below it.
std::size_t apply_zones(std::vector<AccountEval>& evals, const RouterSettings& s, bool drain) {
  const double critical = s.thresholds.critical, sw = s.thresholds.switch_at;
  const double low = sw - s.anti_flapping.hysteresis;
  bool any_noncritical = false, any_low = false;
  for (auto& e : evals) {
    e.zone = Exclusion::none;
    if (e.reason != Exclusion::none) continue;
    any_noncritical = any_noncritical || e.after <= critical;
    any_low = any_low || e.after < low;
  }
  std::size_t eligible = 0;
  for (auto& e : evals) {
    if (e.reason != Exclusion::none) continue;
    if (e.after > critical) {
      if (!drain || any_noncritical) { e.zone = Exclusion::above_critical; continue; }
    } else if (any_low && e.after >= sw) {
      e.zone = Exclusion::above_switch;
      continue;
    }
    ++eligible;
  }
  return eligible;
}

const AccountEval* find_eval(const std::vector<AccountEval>& evals, std::int64_t index) {
  if (index < 0) return nullptr;
  auto it = std::lower_bound(evals.begin(), evals.end(), index,
                             [](const AccountEval& e, std::int64_t i) { return e.index < i; });
  return it != evals.end() && it->index == index ? &*it : nullptr;
}

std::string zone_name(double after, const RouteThresholds& t) {
  if (after > t.critical) return "critical";
  if (after >= t.switch_at) return "switch";
  return "normal";
}

// Everything decide() needs while it works on one request.
struct Decider {
  const RouterView& view;
  const RouterState& state;
  const RouteRequest& req;
  const RouterSettings& settings;
  TimeMs now;
  const RouterRuntime& runtime;
  const DecideOptions& opts;
  RouteDecision& d;
  std::vector<ModelEvals> models;  // evaluated so far, in chain order

  const AccountSummary& account(const AccountEval& e) const { return view.accounts()[e.index]; }

  bool ranks_before(const AccountEval& x, const AccountEval& y) const {
    if (x.score != y.score) return x.score > y.score;
    const auto px = account(x).priority, py = account(y).priority;
    if (px != py) return px > py;
    return x.index < y.index;  // the view is sorted by id
  }

  // The eligible accounts of `m`, scored, best first: all of them (explain) or the best `keep`
  // (one pass keeping a small sorted top list: the hot path over 1,000 accounts).
  std::vector<const AccountEval*> rank(ModelEvals& m, std::size_t keep, bool all) {
    std::vector<const AccountEval*> top;
    top.reserve(all ? m.evals.size() : keep + 1);
    auto cmp = [this](const AccountEval* x, const AccountEval* y) { return ranks_before(*x, *y); };
    for (auto& e : m.evals) {
      if (!e.eligible()) continue;
      e.score = d.drain ? drain_score(e) : policy_score(settings.policy, account(e), e, now);
      if (all) { top.push_back(&e); continue; }
      if (top.size() == keep && !ranks_before(e, *top.back())) continue;
      top.insert(std::upper_bound(top.begin(), top.end(), &e, cmp), &e);
      if (top.size() > keep) top.pop_back();
    }
    if (all) std::sort(top.begin(), top.end(), cmp);
    return top;
  }

  // round_robin: eligible accounts in id order, starting after the route's last admitted one.
  std::vector<const AccountEval*> rotation(ModelEvals& m) {
    std::vector<const AccountEval*> order;
    for (auto& e : m.evals) if (e.eligible()) order.push_back(&e);
    auto last = runtime.round_robin_last.find(d.route_key);
    if (last != runtime.round_robin_last.end()) {
      auto first_after = std::find_if(order.begin(), order.end(),
                                      [&](const AccountEval* e) { return account(*e).id > last->second.account; });
      std::rotate(order.begin(), first_after, order.end());
    }
    return order;
  }

  // Why the sticky account is not a candidate now (the asked model's reason comes first).
  Exclusion sticky_exclusion(std::int64_t sticky_index) const {
    if (sticky_index < 0) return Exclusion::removed;
    for (const auto& m : models) {
      const AccountEval* e = find_eval(m.evals, sticky_index);
      if (e && !e->eligible()) return e->why();
    }
    return Exclusion::not_serving_model;
  }

  void choose(ModelEvals& m, std::size_t model_pos) {
    d.model_used = m.model;
    d.fallback = model_pos > 0;
    const bool rr = settings.policy == RoutePolicy::round_robin;
    const std::size_t keep = opts.explain ? m.evals.size() : opts.max_targets + 1;
    std::vector<const AccountEval*> ranked = rr ? rotation(m) : rank(m, keep, opts.explain);
    if (!opts.explain && ranked.size() > keep) ranked.resize(keep);
    const AccountEval* chosen = ranked.front();

    std::string_view why = "initial";
    const AccountEval* sticky = nullptr;
    if (!rr && d.sticky) {
      const std::int64_t si = view.index_of(d.sticky->account);
      sticky = find_eval(m.evals, si);
      if (sticky && !sticky->eligible()) sticky = nullptr;
      if (sticky) {
        const auto& af = settings.anti_flapping;
        const bool calm = now - d.sticky->since >= af.min_dwell_ms &&
                          now - state.last_switch_at >= af.cooldown_after_switch_ms;
        const bool ordinal = settings.policy == RoutePolicy::fill_first && !d.drain;
        const double margin = ordinal ? 0.0 : af.hysteresis;
        const bool clearly_better = chosen->score - sticky->score > margin;
        if (chosen == sticky || !calm || !clearly_better) chosen = sticky;
        else why = "better";
      } else {
        why = to_string(sticky_exclusion(si));
        d.forced = true;
      }
    }

    std::vector<const AccountEval*> tries{chosen};
    for (const AccountEval* e : ranked)
      if (e != chosen && tries.size() < opts.max_targets) tries.push_back(e);
    for (const AccountEval* e : tries) d.targets.push_back(account(*e).id);
    for (const AccountEval* e : opts.explain ? ranked : tries) {
      const auto& a = account(*e);
      d.candidates.push_back(ScoredCandidate{a.id, m.model, e->score, e->after,
                                             zone_name(e->after, settings.thresholds), a.priority, e->probe});
    }

    if (!rr && (!d.sticky || chosen != sticky)) {
      RouteSwitched sw{d.route_key, d.sticky ? d.sticky->account : "", account(*chosen).id,
                       std::string(why), {}};
      if (sticky) sw.scores[d.sticky->account] = sticky->score;
      sw.scores[sw.to] = chosen->score;
      d.switched = std::move(sw);
    }
  }

  void list_exclusions() {
    for (const auto& m : models)
      for (const auto& e : m.evals)
        if (!e.eligible())
          d.excluded.push_back(ExcludedAccount{account(e).id, m.model,
                                               std::string(to_string(e.why())),
                                               exclusion_detail(account(e), e, req.estimate, settings, now)});
    const auto& serving = view.serving(req.model);
    for (std::uint32_t i = 0; i < view.size(); ++i)
      if (!std::binary_search(serving.begin(), serving.end(), i))
        d.excluded.push_back(ExcludedAccount{view.accounts()[i].id, req.model,
                                             std::string(to_string(Exclusion::not_serving_model)),
                                             "its model list does not include this model"});
  }

  void nothing_qualifies() {
    bool any_enabled = false;
    std::map<std::string_view, int> counts;
    const double cap = settings.all_critical == AllCritical::drain ? 100.0 : settings.thresholds.critical;
    for (const auto& m : models)
      for (const auto& e : m.evals) {
        const auto& a = account(e);
        any_enabled = any_enabled || (!a.disabled && !a.remote && e.reason != Exclusion::not_serving_dialect);
        ++counts[to_string(e.why())];
        const TimeMs t = ready_at(a, req.estimate, now, cap);
        if (t > 0 && (d.retry_at == 0 || t < d.retry_at)) d.retry_at = t;
      }
    std::string models_text;
    for (const auto& m : models) models_text += (models_text.empty() ? "" : ", ") + m.model;
    if (!any_enabled) {
      d.error = RouteError::no_account_for_model;
      d.message = "no enabled account serves model " + models_text +
                  (req.dialect == Dialect::chat ? "" : std::string(" in the ") + to_string(req.dialect) + " dialect");
      return;
    }
    d.error = RouteError::quota_exhausted;
    d.message = "no account can take this request for model " + models_text + ":";
    for (const auto& [r, n] : counts) d.message += " " + std::to_string(n) + " " + std::string(r) + ",";
    d.message.pop_back();
  }

  void run() {
    const std::vector<std::string> chain = models_to_try(req.model, settings);
    for (const bool drain : {false, true}) {
      if (drain && settings.all_critical == AllCritical::reject) break;
      for (std::size_t i = 0; i < chain.size(); ++i) {
        if (models.size() <= i) models.push_back(evaluate_model(view, chain[i], req, settings, now));
        if (apply_zones(models[i].evals, settings, drain) == 0) continue;
        d.drain = drain;
        choose(models[i], i);
        if (opts.explain) list_exclusions();
        return;
      }
    }
    nothing_qualifies();
    if (opts.explain) list_exclusions();
  }
};

}  // namespace

RouteDecision decide(const RouterView& view, const RouterState& state, const RouteRequest& request,
                const RouterSettings& settings, TimeMs now, const RouterRuntime& runtime,
                const DecideOptions& options) {
  RouteDecision d;
  d.model_asked = request.model;
  d.policy = settings.policy;
  d.route_key = route_key_for(request, settings);
  if (auto it = state.sticky.find(d.route_key); it != state.sticky.end()) d.sticky = it->second;
  DecideOptions opts = options;
  opts.max_targets = std::max<std::size_t>(opts.max_targets, 1);
  Decider{view, state, request, settings, now, runtime, opts, d, {}}.run();
  return d;
}

std::optional<RouteSwitched> switch_for_admitted(const RouteDecision& d, const std::string& account) {
  if (!d.ok() || d.policy == RoutePolicy::round_robin) return std::nullopt;
  if (account == d.chosen()) return d.switched;
  if (d.sticky && d.sticky->account == account) return std::nullopt;
  RouteSwitched sw{d.route_key, d.sticky ? d.sticky->account : "", account, "refused", {}};
  for (const auto& c : d.candidates)
    if (c.account == account || (d.sticky && c.account == d.sticky->account)) sw.scores[c.account] = c.score;
  return sw;
}

void note_admitted(RouterRuntime& rt, const RouteDecision& d, const std::string& account) {
  if (d.policy != RoutePolicy::round_robin) return;
  const std::uint64_t tick = ++rt.round_robin_tick;
  auto& marks = rt.round_robin_last;
  if (auto it = marks.find(d.route_key); it != marks.end()) {
    it->second.account = account;
    it->second.tick = tick;
    return;
  }
  if (marks.size() >= kMaxRoundRobinRoutes)  // a new key at the bound: forget the least recent
    marks.erase(std::min_element(marks.begin(), marks.end(),
                                 [](const auto& x, const auto& y) { return x.second.tick < y.second.tick; }));
  marks.emplace(d.route_key, RoundRobinMark{account, tick});
}

bool admission_news(const RouteDecision& d, const std::string& account) {
  return d.policy == RoutePolicy::round_robin || switch_for_admitted(d, account).has_value();
}

}  // namespace qg
