// metrics/quotaguard_metrics.hpp — the catalogue of QuotaGuard's metric families.
//
// Each accessor registers its family in the process-wide registry on first use and returns
// it; resolve a child once (`auto& c = requests_total().with({acc, model, "200"})`) and keep
// the reference where the label set is fixed. `register_quotaguard_metrics()` registers every
// family up front (so /metrics lists them all, even before their first sample) and the
// process collector. Families marked [scrape] are refreshed by GET /metrics from the
// Operations interface (http/metrics_routes); nothing else should write them.
// docs/ADMIN_API.md lists the families with their labels.
#pragma once

#include "metrics/registry.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qg::metrics {

// Model names come from clients (an account with `models: []` serves any name): the first
// kMaxModelLabels distinct models a process records keep their own `model` label value; any
// later one is recorded as "other" (the empty model, "no model", is always its own value).
// The one rule for every per-model label; docs/ADMIN_API.md says so.
inline constexpr std::size_t kMaxModelLabels = 256;
// The label value to record for `model`: itself (admitted now or before) or "other". The view
// stays valid for the process's life. Thread-safe; a known model takes a shared lock and one
// lookup, no allocation.
std::string_view model_label(std::string_view model);
// Model names the operator configured (accounts' `models`, fallback chains: exact names, glob
// patterns skipped) keep their own label value whatever clients sent before them: admitted
// beside the bound, at start and at each reload. Thread-safe.
void keep_model_labels(const std::vector<std::string>& models);

// --- Proxy (http/proxy_*) ---------------------------------------------------------------
// quotaguard_requests_total{account,model,status}: proxied requests by account ("" when none
// was chosen), model sent upstream ("" when none; model_label(): "other" past the bound), and
// HTTP status returned to the client.
CounterFamily& requests_total();
// quotaguard_request_duration_seconds{endpoint}: arrival until the response is ready (plain
// calls: the whole answer; streams: the moment relaying starts).
HistogramFamily& request_duration_seconds();
// quotaguard_upstream_duration_seconds{account}: one non-streaming upstream attempt.
HistogramFamily& upstream_duration_seconds();
// quotaguard_stream_ttfb_seconds{account}: streaming attempts, request sent to response head.
HistogramFamily& stream_ttfb_seconds();
// quotaguard_route_switches_total{reason}: sticky route changes (RouteSwitched reasons).
CounterFamily& route_switches_total();

// --- Journal (persistence/, journal actor) ----------------------------------------------
// quotaguard_journal_append_seconds: one batch append, transaction begin to commit.
HistogramFamily& journal_append_seconds();
// quotaguard_journal_checkpoint_seconds{mode}: one WAL checkpoint of the SQLite log
// (persistence/wal_checkpointer.hpp); mode background (its own thread) | inline (in a commit,
// past the WAL's bound).
HistogramFamily& journal_checkpoint_seconds();
// quotaguard_journal_batch_size: events per committed batch.
HistogramFamily& journal_batch_size();
// quotaguard_events_total{type}: events committed to the log, by type.
CounterFamily& events_total();
// quotaguard_journal_held_events: events held in memory because the log cannot be written
// (0 when writing works).
GaugeFamily& journal_held_events();
// quotaguard_journal_write_failures_total: failed commit attempts (disk full, read-only, locked).
CounterFamily& journal_write_failures_total();
// quotaguard_journal_conflicts_total: conditional appends answered with a version conflict.
CounterFamily& journal_conflicts_total();
// quotaguard_journal_shared_commits_total{path}: commits on a shared log (PostgreSQL), by path
// (AppendPath, EventLog::append_after): fast (one statement: nobody appended since this node's
// last look), reread (the other nodes' new events read without a lock, then appended checked
// again), conflicts (nothing left to append: every append conflicted; no write, no lock) or locked
// (the head locked, the other nodes' new events read first).
CounterFamily& journal_shared_commits_total();

// --- State [scrape] ----------------------------------------------------------------------
// quotaguard_quota_used_ratio{account,metric,window}: (used + reserved) / limit, 0..1+; the
// tighter one when a config and an observed window share metric and length.
SnapshotFamily& quota_used_ratio();
// quotaguard_quota_exhaustion_seconds{account,metric,window}: seconds until the window runs out
// at the current pace (quota/forecast.hpp); only windows forecast to run out before their reset.
SnapshotFamily& quota_exhaustion_seconds();
// quotaguard_quota_unused_at_reset_ratio{account,metric,window}: the share of the limit the
// current pace leaves unused at the window's reset (0..1); windows with a known reset.
SnapshotFamily& quota_unused_at_reset_ratio();
// quotaguard_open_reservations: reservations created and not yet resolved.
SnapshotFamily& open_reservations();
// quotaguard_cooldowns_active: accounts in cooldown.
SnapshotFamily& cooldowns_active();
// quotaguard_accounts{state}: accounts by state (active|draining|cooldown|disabled|exhausted).
SnapshotFamily& accounts_by_state();

// --- Admin and advisory API (http/admin_routes, http/advisory_routes) ---------------------
// quotaguard_api_requests_total{route,status}: by route template ("/api/v1/accounts/{id}").
CounterFamily& api_requests_total();

// --- Process (read from /proc at scrape) --------------------------------------------------
// the standard process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_start_time_seconds,
// and quotaguard_build_info.

// Registers every family above and the process collector. Idempotent, thread-safe.
void register_quotaguard_metrics();

}  // namespace qg::metrics
