// metrics/registry.cpp — see registry.hpp.
#include "metrics/registry.hpp"

#include "metrics/exposition.hpp"

#include <algorithm>
#include <stdexcept>

namespace qg::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> size_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

const char* to_string(MetricType t) {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

template <typename T>
T& Family<T>::with(const LabelValues& values) {
  {
    std::shared_lock lock(mutex_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  LabelValues key = values;
  key.resize(info_.label_names.size());
  if (children_.size() >= kMaxChildren && !children_.count(key))
    key.assign(info_.label_names.size(), "other");
  auto& slot = children_[key];
  if (!slot) slot = make_();
  return *slot;
}

namespace {

void render_child(std::string& out, const FamilyInfo& info, const LabelValues& labels,
                  const Counter& c) {
  append_sample(out, info.name, info.label_names, labels, static_cast<double>(c.value()));
}

void render_child(std::string& out, const FamilyInfo& info, const LabelValues& labels,
                  const Gauge& g) {
  append_sample(out, info.name, info.label_names, labels, g.value());
}

void render_child(std::string& out, const FamilyInfo& info, const LabelValues& labels,
                  const Histogram& h) {
  const auto counts = h.bucket_counts();
  const std::string bucket = info.name + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += counts[i];
    append_sample(out, bucket, info.label_names, labels, static_cast<double>(cumulative), "le",
                  format_value(h.bounds()[i]));
  }
  cumulative += counts.back();
  append_sample(out, bucket, info.label_names, labels, static_cast<double>(cumulative), "le",
                "+Inf");
  append_sample(out, info.name + "_sum", info.label_names, labels, h.sum());
  append_sample(out, info.name + "_count", info.label_names, labels,
                static_cast<double>(cumulative));
}

}  // namespace

template <typename T>
void Family<T>::render(std::string& out) const {
  append_header(out, info_.name, info_.help, to_string(info_.type));
  std::shared_lock lock(mutex_);
  for (const auto& [labels, child] : children_) render_child(out, info_, labels, *child);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void SnapshotFamily::replace(std::vector<std::pair<LabelValues, double>> samples) {
  std::sort(samples.begin(), samples.end());
  std::lock_guard lock(mutex_);
  samples_ = std::move(samples);
}

void SnapshotFamily::render(std::string& out) const {
  append_header(out, info_.name, info_.help, to_string(info_.type));
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : samples_)
    append_sample(out, info_.name, info_.label_names, labels, value);
}

template <typename F, typename... Args>
F& Registry::add(const FamilyInfo& info, Args&&... args) {
  std::lock_guard lock(mutex_);
  for (auto& f : families_) {
    if (f->info().name != info.name) continue;
    auto* existing = dynamic_cast<F*>(f.get());
    if (!existing || f->info().label_names != info.label_names || f->info().type != info.type)
      throw std::logic_error("metric " + info.name + " registered twice with different shapes");
    return *existing;
  }
  auto family = std::make_unique<F>(info, std::forward<Args>(args)...);
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  return add<CounterFamily>({name, help, MetricType::counter, std::move(label_names)},
                            [] { return std::make_unique<Counter>(); });
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
  return add<GaugeFamily>({name, help, MetricType::gauge, std::move(label_names)},
                          [] { return std::make_unique<Gauge>(); });
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<double> bounds,
                                     std::vector<std::string> label_names) {
  return add<HistogramFamily>({name, help, MetricType::histogram, std::move(label_names)},
                              [bounds] { return std::make_unique<Histogram>(bounds); });
}

SnapshotFamily& Registry::snapshot(const std::string& name, const std::string& help,
                                   MetricType type, std::vector<std::string> label_names) {
  if (type == MetricType::histogram)
    throw std::logic_error("metric " + name + ": a snapshot family holds plain samples");
  return add<SnapshotFamily>({name, help, type, std::move(label_names)});
}

void Registry::add_collector(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(fn));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> collectors;
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
    for (const auto& f : families_) families.push_back(f.get());
  }
  for (const auto& c : collectors) c();
  std::string out;
  out.reserve(4096);
  for (const auto* f : families) f->render(out);
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace qg::metrics
