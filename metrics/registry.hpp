// metrics/registry.hpp — process-wide counters, gauges and histograms for Prometheus.
//
// A metric family (one name, one HELP line, fixed label names) holds one child per label
// value set. Resolving a child takes a shared lock and a map lookup; callers on a hot path
// resolve once and keep the reference (children live as long as the registry and never
// move). Updating a child is one relaxed atomic operation (a histogram: three).
// `Registry::render()` writes the Prometheus text exposition format (version 0.0.4).
// Standard library only, so every layer can record into it without extra dependencies.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qg::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Fixed upper bounds (ascending, +Inf implied). observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket counts (not cumulative), last element = above the highest bound.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

// Latency buckets in seconds, 1 ms .. 60 s.
std::vector<double> latency_buckets();
// Powers of two 1 .. 1024 (batch sizes).
std::vector<double> size_buckets();

enum class MetricType { counter, gauge, histogram };
const char* to_string(MetricType t);

// Name, HELP text and label names shared by a family's children.
struct FamilyInfo {
  std::string name;
  std::string help;
  MetricType type = MetricType::counter;
  std::vector<std::string> label_names;
};

class FamilyBase {
 public:
  explicit FamilyBase(FamilyInfo info) : info_(std::move(info)) {}
  virtual ~FamilyBase() = default;
  const FamilyInfo& info() const { return info_; }
  // Appends HELP, TYPE and every sample line.
  virtual void render(std::string& out) const = 0;

 protected:
  FamilyInfo info_;
};

// Children beyond this many label sets share one child whose labels are all "other", so a
// label fed from request data cannot grow memory without bound.
inline constexpr std::size_t kMaxChildren = 5000;

template <typename T>
class Family : public FamilyBase {
 public:
  Family(FamilyInfo info, std::function<std::unique_ptr<T>()> make)
      : FamilyBase(std::move(info)), make_(std::move(make)) {}

  // The child for these label values (one per label name, in order). Thread-safe.
  T& with(const LabelValues& values);
  T& with(std::initializer_list<std::string_view> values) {
    return with(LabelValues(values.begin(), values.end()));
  }
  void render(std::string& out) const override;

 private:
  std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<LabelValues, std::unique_ptr<T>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A family (gauge, or counter read from elsewhere such as CPU time) whose whole sample set is
// replaced at once, for values computed from a snapshot of state at scrape time: label sets
// that disappear stop being exported.
class SnapshotFamily : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  void replace(std::vector<std::pair<LabelValues, double>> samples);
  void render(std::string& out) const override;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<LabelValues, double>> samples_;
};

class Registry {
 public:
  // Registering a name twice answers the existing family (the type and labels must match;
  // a mismatch throws std::logic_error: a programming error).
  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<double> bounds,
                             std::vector<std::string> label_names = {});
  SnapshotFamily& snapshot(const std::string& name, const std::string& help, MetricType type,
                           std::vector<std::string> label_names = {});

  // Runs before each render (e.g. reading /proc for process metrics).
  void add_collector(std::function<void()> fn);

  // The whole exposition, families in registration order.
  std::string render() const;

 private:
  template <typename F, typename... Args>
  F& add(const FamilyInfo& info, Args&&... args);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<std::function<void()>> collectors_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// The process-wide registry that /metrics renders.
Registry& registry();

}  // namespace qg::metrics
