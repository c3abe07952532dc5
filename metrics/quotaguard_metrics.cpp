// metrics/quotaguard_metrics.cpp — see quotaguard_metrics.hpp.
#include "metrics/quotaguard_metrics.hpp"

#include "metrics/process_metrics.hpp"

#include <functional>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

#ifndef QG_VERSION
#define QG_VERSION "dev"
#endif

namespace qg::metrics {

namespace {
struct ModelLabels {
  std::shared_mutex mutex;
  std::set<std::string, std::less<>> admitted;  // nodes never move: views stay valid
  std::size_t from_clients = 0;                 // admitted by model_label(): the bounded ones
};
ModelLabels& model_labels() {
  static ModelLabels m;
  return m;
}
}  // namespace

std::string_view model_label(std::string_view model) {
  if (model.empty()) return {};
  ModelLabels& m = model_labels();
  {
    std::shared_lock lock(m.mutex);
    if (auto it = m.admitted.find(model); it != m.admitted.end()) return *it;
    if (m.from_clients >= kMaxModelLabels) return "other";
  }
  std::unique_lock lock(m.mutex);
  if (auto it = m.admitted.find(model); it != m.admitted.end()) return *it;
  if (m.from_clients >= kMaxModelLabels) return "other";
  ++m.from_clients;
  return *m.admitted.emplace(model).first;
}

void keep_model_labels(const std::vector<std::string>& models) {
  ModelLabels& m = model_labels();
  std::unique_lock lock(m.mutex);
  for (const auto& model : models)
    if (!model.empty() && model.find('*') == std::string::npos) m.admitted.emplace(model);
}

CounterFamily& requests_total() {
  static auto& f = registry().counter("quotaguard_requests_total",
      "Proxied requests by account, model sent upstream and HTTP status returned.",
      {"account", "model", "status"});
  return f;
}

HistogramFamily& request_duration_seconds() {
  static auto& f = registry().histogram("quotaguard_request_duration_seconds",
      "Proxy request latency, arrival until the response is ready (streams: relaying starts).", latency_buckets(),
      {"endpoint"});
  return f;
}

HistogramFamily& upstream_duration_seconds() {
  static auto& f = registry().histogram("quotaguard_upstream_duration_seconds",
      "Latency of one non-streaming upstream attempt.", latency_buckets(), {"account"});
  return f;
}

HistogramFamily& stream_ttfb_seconds() {
  static auto& f = registry().histogram("quotaguard_stream_ttfb_seconds",
      "Streaming attempts: request sent upstream to response head.", latency_buckets(),
      {"account"});
  return f;
}

CounterFamily& route_switches_total() {
  static auto& f = registry().counter("quotaguard_route_switches_total",
      "Sticky route changes by reason.", {"reason"});
  return f;
}

HistogramFamily& journal_append_seconds() {
  static auto& f = registry().histogram("quotaguard_journal_append_seconds",
      "Time to append one batch of events to the log (begin to commit).", latency_buckets());
  return f;
}

HistogramFamily& journal_checkpoint_seconds() {
  static auto& f = registry().histogram("quotaguard_journal_checkpoint_seconds",
      "One WAL checkpoint of the SQLite event log: background (its own thread) or inline (in a commit).", latency_buckets(), {"mode"});
  return f;
}

HistogramFamily& journal_batch_size() {
  static auto& f = registry().histogram("quotaguard_journal_batch_size",
      "Events per committed journal batch.", size_buckets());
  return f;
}

CounterFamily& events_total() {
  static auto& f = registry().counter("quotaguard_events_total",
      "Events committed to the event log, by type.", {"type"});
  return f;
}

GaugeFamily& journal_held_events() {
  static auto& f = registry().gauge("quotaguard_journal_held_events",
      "Events held in memory because the event log cannot be written (0 when it can).");
  return f;
}

CounterFamily& journal_write_failures_total() {
  static auto& f = registry().counter("quotaguard_journal_write_failures_total",
      "Failed event log commits (disk full, read-only file system, write lock held elsewhere).");
  return f;
}

CounterFamily& journal_conflicts_total() {
  static auto& f = registry().counter("quotaguard_journal_conflicts_total",
      "Appends left out because another node wrote the account first (several nodes on PostgreSQL; re-validated and retried or refused).");
  return f;
}

CounterFamily& journal_shared_commits_total() {
  static auto& f = registry().counter("quotaguard_journal_shared_commits_total",
      "Commits on a shared event log (PostgreSQL) by path: fast (one statement, nobody appended since this node last looked), reread (other nodes' new events read without a lock, then the append checked again), conflicts (nothing left to append: every append conflicted; no write, no lock) or locked (the log's head locked, other nodes' new events read first).",
      {"path"});
  return f;
}

SnapshotFamily& quota_used_ratio() {
  static auto& f = registry().snapshot("quotaguard_quota_used_ratio",
      "Quota window use: (used + reserved) / limit; windows with an unknown limit are omitted.",
      MetricType::gauge, {"account", "metric", "window"});
  return f;
}

SnapshotFamily& quota_exhaustion_seconds() {
  static auto& f = registry().snapshot("quotaguard_quota_exhaustion_seconds",
      "Seconds until the quota window runs out at the current pace; only windows forecast to run out before their reset.",
      MetricType::gauge, {"account", "metric", "window"});
  return f;
}

SnapshotFamily& quota_unused_at_reset_ratio() {
  static auto& f = registry().snapshot("quotaguard_quota_unused_at_reset_ratio",
      "Share of the quota window's limit the current pace leaves unused at its reset (0..1).",
      MetricType::gauge, {"account", "metric", "window"});
  return f;
}

SnapshotFamily& open_reservations() {
  static auto& f = registry().snapshot("quotaguard_open_reservations",
      "Reservations created and not yet committed, released or expired.", MetricType::gauge);
  return f;
}

SnapshotFamily& cooldowns_active() {
  static auto& f = registry().snapshot("quotaguard_cooldowns_active",
      "Accounts currently in cooldown.", MetricType::gauge);
  return f;
}

SnapshotFamily& accounts_by_state() {
  static auto& f = registry().snapshot("quotaguard_accounts",
      "Accounts by state.", MetricType::gauge, {"state"});
  return f;
}

CounterFamily& api_requests_total() {
  static auto& f = registry().counter("quotaguard_api_requests_total",
      "Admin and advisory API requests by route template and HTTP status.",
      {"route", "status"});
  return f;
}

void register_quotaguard_metrics() {
  static std::once_flag once;
  std::call_once(once, [] {
    requests_total();
    request_duration_seconds();
    upstream_duration_seconds();
    stream_ttfb_seconds();
    route_switches_total();
    journal_append_seconds();
    journal_batch_size();
    journal_checkpoint_seconds();
    events_total();
    journal_held_events().with({}).set(0);
    journal_write_failures_total().with({});
    journal_conflicts_total().with({});
    journal_shared_commits_total();
    quota_used_ratio();
    quota_exhaustion_seconds();
    quota_unused_at_reset_ratio();
    open_reservations();
    cooldowns_active();
    accounts_by_state();
    api_requests_total();
    auto& r = registry();
    // The standard process_* names (as every Prometheus client library exports them).
    auto& rss = r.snapshot("process_resident_memory_bytes", "Resident memory size in bytes.",
                           MetricType::gauge);
    auto& vms = r.snapshot("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                           MetricType::gauge);
    auto& cpu = r.snapshot("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.", MetricType::counter);
    auto& fds = r.snapshot("process_open_fds", "Number of open file descriptors.",
                           MetricType::gauge);
    auto& max_fds = r.snapshot("process_max_fds", "Maximum number of open file descriptors.",
                               MetricType::gauge);
    auto& start = r.snapshot("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             MetricType::gauge);
    auto& build = r.snapshot("quotaguard_build_info", "Build version (value is always 1).",
                             MetricType::gauge, {"version"});
    build.replace({{{QG_VERSION}, 1.0}});
    r.add_collector([&rss, &vms, &cpu, &fds, &max_fds, &start] {
      const ProcessSample s = read_process_sample();
      rss.replace({{{}, s.resident_memory_bytes}});
      vms.replace({{{}, s.virtual_memory_bytes}});
      max_fds.replace({{{}, s.max_fds}});
      cpu.replace({{{}, s.cpu_seconds}});
      fds.replace({{{}, s.open_fds}});
      start.replace({{{}, s.start_time_seconds}});
    });
  });
}

}  // namespace qg::metrics
