// quota/account_summary.cpp — summaries of accounts and the router's view of them.
#include "quota/account_summary.hpp"

#include "quota/circuit_breaker.hpp"

#include <algorithm>
#include <limits>

namespace qg {

std::int64_t WindowSummary::remaining_at(TimeMs now) const {
  if (limit <= 0) return std::numeric_limits<std::int64_t>::max();
  return std::max<std::int64_t>(0, limit - used_at(now) - reserved);
}

double WindowSummary::used_percent_at(TimeMs now) const {
  return static_cast<double>(used_at(now) + reserved) * percent_per_unit;
}

WindowSummary WindowSummary::of(const QuotaWindow& w) {
  WindowSummary s{w.metric, w.window_s, w.limit, w.used, w.reserved, w.reset_at, w.source, 0, 0};
  if (w.limit > 0) s.percent_per_unit = 100.0 / static_cast<double>(w.limit);
  if (w.window_s > 0) s.per_length_ms = 1.0 / (static_cast<double>(w.window_s) * 1000.0);
  return s;
}

bool AccountSummary::serves(std::string_view model) const {
  AccountSpec spec;
  spec.models = models;
  spec.excluded_models = excluded_models;
  return serves_model(spec, model);
}

AccountSummary summarize(const AccountState& s, TimeMs now, const BreakerState* breaker) {
  // Reads the state as it is at `now` without copying it (reservations can be many).
  AccountSummary out;
  out.id = s.id;
  out.status = status_at(s, now);
  out.disabled = s.removed || !s.spec.enabled;
  out.drained = s.drained;
  out.priority = s.spec.priority;
  out.dialects = dialects_served(s.spec.provider, s.spec.type);
  out.models = s.spec.models;
  out.excluded_models = s.spec.excluded_models;
  out.prefix = s.spec.prefix;
  out.cooldown_until = s.cooldown_until;
  out.cooldown_reason = s.cooldown_reason;
  out.cooldown_detail = s.cooldown_detail;
  out.summarized_at = now;
  AccountState windows_only;  // roll the windows alone: the ledger is not needed here
  windows_only.windows = s.windows;
  roll_windows(windows_only, now);
  for (const auto& w : windows_only.windows) {
    WindowSummary ws = WindowSummary::of(w);
    ws.burn_per_ms = s.burn.per_ms(w.metric, now);
    out.max_used_percent = std::max(out.max_used_percent, ws.used_percent_at(now));
    if (ws.limit > 0 && ws.reset_at > now && (out.earliest_reset == 0 || ws.reset_at < out.earliest_reset))
      out.earliest_reset = ws.reset_at;
    out.windows.push_back(ws);
  }
  std::stable_partition(out.windows.begin(), out.windows.end(),
                        [](const WindowSummary& w) { return w.limit > 0; });
  if (breaker) {
    out.error_rate = breaker->error_rate;
    out.probe_in_flight = breaker->probe_in_flight;
    out.probe_started_at = breaker->probe_started_at;
  }
  return out;
}

namespace {
bool model_fields_equal(const AccountSummary& a, const AccountSummary& b) {
  return a.models == b.models && a.excluded_models == b.excluded_models;
}
auto id_less = [](const AccountSummary& a, std::string_view id) { return a.id < id; };
}  // namespace

void RouterView::upsert(AccountSummary s) {
  auto it = std::lower_bound(accounts_.begin(), accounts_.end(), std::string_view(s.id), id_less);
  if (it != accounts_.end() && it->id == s.id) {
    if (!model_fields_equal(*it, s)) serving_cache_.clear();
    *it = std::move(s);
    return;
  }
  accounts_.insert(it, std::move(s));
  serving_cache_.clear();  // indexes shifted
}

bool RouterView::erase(std::string_view id) {
  auto it = std::lower_bound(accounts_.begin(), accounts_.end(), id, id_less);
  if (it == accounts_.end() || it->id != id) return false;
  accounts_.erase(it);
  serving_cache_.clear();
  return true;
}

std::int64_t RouterView::index_of(std::string_view id) const {
  auto it = std::lower_bound(accounts_.begin(), accounts_.end(), id, id_less);
  if (it == accounts_.end() || it->id != id) return -1;
  return it - accounts_.begin();
}

const AccountSummary* RouterView::find(std::string_view id) const {
  const auto i = index_of(id);
  return i < 0 ? nullptr : &accounts_[static_cast<std::size_t>(i)];
}

const std::vector<std::uint32_t>& RouterView::serving(const std::string& model) const {
  if (auto it = serving_cache_.find(model); it != serving_cache_.end()) return it->second;
  // Clients choose model names: bound the cache so arbitrary names cannot grow it forever.
  constexpr std::size_t kMaxCachedModels = 1024;
  if (serving_cache_.size() >= kMaxCachedModels) serving_cache_.clear();
  std::vector<std::uint32_t> idx;
  for (std::uint32_t i = 0; i < accounts_.size(); ++i)
    if (accounts_[i].serves(model)) idx.push_back(i);
  return serving_cache_.emplace(model, std::move(idx)).first->second;
}

RouterView make_view(const std::map<std::string, AccountState>& accounts, TimeMs now) {
  RouterView v;
  for (const auto& [id, s] : accounts) {
    AccountSummary sum = summarize(s, now);
    if (sum.id.empty()) sum.id = id;
    v.upsert(std::move(sum));
  }
  return v;
}

}  // namespace qg
