// quota/account_state.cpp — apply, roll-over and admission for one account.
#include "quota/account_state.hpp"
#include "messages/usage_range.hpp"

#include "messages/saturating.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <type_traits>

namespace qg {

const char* to_string(AccountStatus s) {
  switch (s) {
    case AccountStatus::active: return "active";
    case AccountStatus::draining: return "draining";
    case AccountStatus::cooldown: return "cooldown";
    case AccountStatus::disabled: return "disabled";
    case AccountStatus::exhausted: return "exhausted";
  }
  return "active";
}

std::int64_t QuotaWindow::remaining() const {
  if (limit <= 0) return std::numeric_limits<std::int64_t>::max();
  return std::max<std::int64_t>(0, sat_sub(limit, sat_add(used, reserved)));
}

double QuotaWindow::used_percent() const {
  if (limit <= 0) return 0.0;
  return 100.0 * (static_cast<double>(used) + static_cast<double>(reserved)) / static_cast<double>(limit);
}

namespace {

constexpr TimeMs kMsPerSecond = 1000;

// First multiple of the window length (since the epoch) strictly after `t`.
TimeMs aligned_reset_after(TimeMs t, std::int64_t window_s) {
  const TimeMs len = window_s * kMsPerSecond;
  if (len <= 0) return 0;
  return (t / len + 1) * len;
}

std::int64_t open_reserved(const AccountState& s, Metric m) {
  std::int64_t total = 0;
  for (const auto& [id, r] : s.reservations) total = sat_add(total, r.estimate.amount(m));
  return total;
}

QuotaWindow* find_window(AccountState& s, Metric m, std::int64_t window_s, WindowOrigin o) {
  for (auto& w : s.windows)
    if (w.metric == m && w.window_s == window_s && w.origin == o) return &w;
  return nullptr;
}

// Config windows follow spec.limits: keep the ones still configured (with their usage), add
// new ones, drop removed ones. Observed windows are untouched.
void sync_config_windows(AccountState& s, TimeMs now) {
  std::vector<QuotaWindow> next;
  for (const auto& l : s.spec.limits) {
    QuotaWindow w;
    if (auto* old = find_window(s, l.metric, l.window_s, WindowOrigin::config)) w = *old;
    else {
      w.metric = l.metric;
      w.window_s = l.window_s;
      w.origin = WindowOrigin::config;
      w.source = QuotaSource::config;
      w.reset_at = aligned_reset_after(now, l.window_s);
      w.reserved = open_reserved(s, l.metric);
    }
    w.limit = l.limit;
    next.push_back(w);
  }
  for (const auto& w : s.windows)
    if (w.origin == WindowOrigin::observed) next.push_back(w);
  s.windows = std::move(next);
}

void add_reserved(AccountState& s, const Usage& u, int sign) {
  for (auto& w : s.windows)
    w.reserved = std::max<std::int64_t>(0, sign > 0 ? sat_add(w.reserved, u.amount(w.metric))
                                                    : sat_sub(w.reserved, u.amount(w.metric)));
}

void add_used(AccountState& s, const Usage& u) {
  for (auto& w : s.windows) w.used = sat_add(w.used, u.amount(w.metric));
}

void observe(AccountState& s, const QuotaObserved& q, TimeMs ts) {
  for (const auto& o : q.windows) {
    QuotaWindow* w = find_window(s, o.metric, o.window_s, WindowOrigin::observed);
    if (!w) {
      QuotaWindow fresh;
      fresh.metric = o.metric;
      fresh.window_s = o.window_s;
      fresh.origin = WindowOrigin::observed;
      fresh.reserved = open_reserved(s, o.metric);
      s.windows.push_back(fresh);
      w = &s.windows.back();
    }
    w->limit = o.limit;
    w->used = o.used;
    w->reset_at = o.reset_at;
    w->source = q.source;
    w->observed_at = ts;
  }
}

// Removes an open reservation and returns it; nullopt when the id is not open.
std::optional<Reservation> take_reservation(AccountState& s, const std::string& id) {
  auto it = s.reservations.find(id);
  if (it == s.reservations.end()) return std::nullopt;
  Reservation r = it->second;
  s.reservations.erase(it);
  add_reserved(s, r.estimate, -1);
  return r;
}

struct Applier {
  AccountState& s;
  const Event& e;

  void operator()(const AccountRegistered& v) {
    register_spec(v.spec);
    s.registered_by = e.node;
  }
  void operator()(const AccountUpdated& v) { register_spec(v.spec); }
  void operator()(const AccountRemoved&) { s.removed = true; }
  void operator()(const QuotaObserved& v) { observe(s, v, e.ts); }
  void operator()(const ReservationCreated& v) {
    if (s.reservations.count(v.id)) return;
    s.reservations[v.id] = Reservation{v.id, v.model, v.estimate, e.ts, v.expires_at, e.node};
    add_reserved(s, v.estimate, +1);
    ++s.counters.created;
  }
  void operator()(const ReservationCommitted& v) {
    if (!take_reservation(s, v.id)) return;
    add_used(s, v.usage);
    s.burn.add(v.usage, e.ts);
    ++s.counters.committed;
    auto& total = s.counters.committed_usage;
    total.requests = sat_add(total.requests, v.usage.requests);
    total.input_tokens = sat_add(total.input_tokens, v.usage.input_tokens);
    total.output_tokens = sat_add(total.output_tokens, v.usage.output_tokens);
  }
  void operator()(const ReservationReleased& v) {
    if (take_reservation(s, v.id)) ++s.counters.released;
  }
  void operator()(const ReservationExpired& v) {
    if (take_reservation(s, v.id)) ++s.counters.expired;
  }
  void operator()(const CooldownStarted& v) {
    s.cooldown_until = v.until;
    s.cooldown_reason = v.reason;
    s.cooldown_detail = v.detail;
    if (v.reason == "errors") s.cooldown_failures = v.failures;  // as apply(BreakerState&) does
  }
  void operator()(const CooldownEnded&) {
    s.cooldown_until = 0;
    s.cooldown_reason.clear();
    s.cooldown_detail.clear();
    s.cooldown_failures = 0;
  }
  void operator()(const AccountDrained&) { s.drained = true; }
  void operator()(const AccountResumed&) { s.drained = false; }
  void operator()(const ThresholdCrossed& v) {
    for (auto& w : s.windows)
      if (w.metric == v.metric && w.window_s == v.window_s)
        w.alert_level = v.level == "recovered" ? "" : v.level;
  }
  void operator()(const RouteSwitched&) {}
  void operator()(const SettingChanged&) {}
  void operator()(const AuthFolderImported&) {}  // global: quota/auth_folders
  void operator()(const AuthFolderForgotten&) {}
  void operator()(const RouteRefused&) {}
  void operator()(const UnknownEvent&) {}

  void register_spec(const AccountSpec& spec) {
    s.id = e.account;
    s.spec = spec;
    s.removed = false;
    sync_config_windows(s, e.ts);
  }
};

}  // namespace

void roll_windows(AccountState& s, TimeMs now) {
  for (auto& w : s.windows) roll_window(w, now);
}

void roll_window(QuotaWindow& w, TimeMs now) {
  if (w.reset_at <= 0 || now < w.reset_at) return;
  w.used = 0;
  w.alert_level.clear();
  if (w.origin == WindowOrigin::config) {
    w.reset_at = aligned_reset_after(now, w.window_s);
    return;
  }
  // The provider's reset passed with no newer observation: restart the window from zero,
  // keep the limit, and mark the numbers as our own estimate.
  w.source = QuotaSource::estimated;
  const TimeMs len = w.window_s * kMsPerSecond;
  if (len > 0) {
    const TimeMs periods = (now - w.reset_at) / len + 1;
    w.reset_at += periods * len;
  } else {
    w.reset_at = 0;
  }
}

void apply(AccountState& s, const Event& e) {
  roll_windows(s, e.ts);
  std::visit(Applier{s, e}, e.payload);
  s.last_event_at = std::max(s.last_event_at, e.ts);
}

AccountStatus status_at(const AccountState& s, TimeMs now) {
  if (s.removed || !s.spec.enabled) return AccountStatus::disabled;
  if (s.drained) return AccountStatus::draining;
  if (s.cooldown_until > now) return AccountStatus::cooldown;
  for (const auto& w : s.windows) {
    const bool past_reset = w.reset_at > 0 && now >= w.reset_at;
    if (!past_reset && w.limit > 0 && w.used >= w.limit) return AccountStatus::exhausted;
  }
  return AccountStatus::active;
}

double max_used_percent(const AccountState& s) {
  double m = 0;
  for (const auto& w : s.windows) m = std::max(m, w.used_percent());
  return m;
}

namespace {
bool glob_match(std::string_view pattern, std::string_view text) {
  // '*' matches any run of characters; everything else literally (case-insensitive ASCII).
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                        std::tolower(static_cast<unsigned char>(b)); };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') { star = p++; mark = t; }
    else if (p < pattern.size() && eq(pattern[p], text[t])) { ++p; ++t; }
    else if (star != std::string_view::npos) { p = star + 1; t = ++mark; }
    else return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}
}  // namespace

bool serves_model(const AccountSpec& spec, std::string_view model) {
  for (const auto& ex : spec.excluded_models)
    if (glob_match(ex, model)) return false;
  if (spec.models.empty()) return true;
  for (const auto& m : spec.models)
    if (glob_match(m, model)) return true;
  return false;
}

std::string admission_refusal(const AccountState& s, const Usage& estimate, TimeMs now) {
  switch (status_at(s, now)) {  // past-reset windows do not count as exhausted there
    case AccountStatus::disabled: return "disabled";
    case AccountStatus::draining: return "draining";
    case AccountStatus::cooldown: return "cooldown";
    default: break;
  }
  for (QuotaWindow w : s.windows) {  // a copy of each window rolled to now, not of the state
    roll_window(w, now);
    if (w.limit <= 0) continue;
    const std::int64_t need = estimate.amount(w.metric);
    if (sat_add(sat_add(w.used, w.reserved), need) > w.limit)
      return std::string("window full: ") + to_string(w.metric) + "/" +
             std::to_string(w.window_s) + "s";
  }
  return {};
}

namespace {
Validation reject(std::string why) { return {Verdict::reject, std::move(why)}; }
Validation noop(std::string why) { return {Verdict::noop, std::move(why)}; }
std::string usage_range_error(const char* what, const Usage& u) {
  return std::string(what) + " out of range (requests " + std::to_string(u.requests) + ", input_tokens " +
         std::to_string(u.input_tokens) + ", output_tokens " + std::to_string(u.output_tokens) +
         "; each must be 0.." + std::to_string(kMaxUsagePerRequest) + ")";
}
Validation resolution(const AccountState& s, const std::string& id) {
  if (s.reservations.count(id)) return {};
  return reject("reservation " + id + " is not open (unknown or already resolved)");
}
}  // namespace

std::size_t observed_windows_after(const AccountState& s, const QuotaObserved& q) {
  std::set<std::pair<Metric, std::int64_t>> observed;
  for (const auto& w : s.windows)
    if (w.origin == WindowOrigin::observed) observed.emplace(w.metric, w.window_s);
  for (const auto& o : q.windows) {
    observed.emplace(o.metric, o.window_s);
    if (observed.size() > kMaxObservedWindows) break;
  }
  return observed.size();
}

namespace {
bool further_apart(std::int64_t a, std::int64_t b, std::int64_t slack) {
  return (a > b ? sat_sub(a, b) : sat_sub(b, a)) > slack;
}
}  // namespace

bool observation_is_news(const AccountState& s, const QuotaObserved& q, TimeMs now) {
  for (const auto& o : q.windows) {
    const QuotaWindow* known = nullptr;
    for (const auto& w : s.windows)
      if (w.origin == WindowOrigin::observed && w.metric == o.metric && w.window_s == o.window_s) known = &w;
    if (!known) return true;
    QuotaWindow w = *known;
    roll_window(w, now);
    if (w.source != q.source || w.limit != o.limit) return true;
    if (now - w.observed_at >= kObservationRefreshMs) return true;
    const std::int64_t used_slack = w.limit / 100;  // 1 % of the limit (exact when unknown)
    if (further_apart(w.used, o.used, used_slack)) return true;
    if ((w.reset_at == 0) != (o.reset_at == 0) || further_apart(w.reset_at, o.reset_at, kObservationResetSlackMs))
      return true;
  }
  return false;
}

Validation validate(const AccountState& s, const EventPayload& proposed, TimeMs now) {
  return std::visit(
      [&](const auto& p) -> Validation {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ReservationCreated>) {
          if (s.reservations.count(p.id)) return reject("reservation " + p.id + " already exists");
          if (!usage_in_range(p.estimate)) return reject(usage_range_error("estimate", p.estimate));
          if (auto why = admission_refusal(s, p.estimate, now); !why.empty()) return reject(why);
        } else if constexpr (std::is_same_v<T, ReservationCommitted>) {
          if (!usage_in_range(p.usage)) return reject(usage_range_error("usage", p.usage));
          return resolution(s, p.id);
        } else if constexpr (std::is_same_v<T, QuotaObserved>) {
          for (const auto& w : p.windows)
            if (w.limit < 0 || w.used < 0 || w.window_s < 0)
              return reject("observed window " + std::string(to_string(w.metric)) +
                            ": limit, used and window_s must not be negative");
          if (observed_windows_after(s, p) > kMaxObservedWindows)
            return reject("an account holds at most " + std::to_string(kMaxObservedWindows) + " observed windows");
          if (p.source == QuotaSource::headers && !observation_is_news(s, p, now))
            return noop("the observation repeats the account's view");
        } else if constexpr (std::is_same_v<T, ReservationReleased> ||
                             std::is_same_v<T, ReservationExpired>) {
          return resolution(s, p.id);
        } else if constexpr (std::is_same_v<T, AccountDrained>) {
          if (s.drained) return noop("already draining");
        } else if constexpr (std::is_same_v<T, AccountResumed>) {
          if (!s.drained) return noop("not draining");
        } else if constexpr (std::is_same_v<T, CooldownEnded>) {
          if (s.cooldown_until == 0) return noop("not in cooldown");
        } else if constexpr (std::is_same_v<T, AccountRemoved>) {
          if (s.removed) return noop("already removed");
        } else if constexpr (std::is_same_v<T, AccountRegistered> ||
                             std::is_same_v<T, AccountUpdated>) {
          if (!s.removed && !s.spec.provider.empty() && s.spec == p.spec) return noop("unchanged");
        } else if constexpr (std::is_same_v<T, UnknownEvent>) {
          return reject("unknown event type " + p.type);
        }
        return {};
      },
      proposed);
}

TimeMs earliest_reset(const AccountState& s, TimeMs now) {
  TimeMs best = 0;
  for (const auto& w : s.windows) {
    if (w.reset_at <= now || w.limit <= 0 || sat_add(w.used, w.reserved) < w.limit) continue;
    if (best == 0 || w.reset_at < best) best = w.reset_at;
  }
  if (s.cooldown_until > now && (best == 0 || s.cooldown_until > best))
    best = std::max(best, s.cooldown_until);
  return best;
}

}  // namespace qg
