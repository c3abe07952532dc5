// tests/admin/prometheus_text.hpp — a strict parser of the Prometheus text format (0.0.4),
// used to check that GET /metrics is well-formed (promtool is not installed).
//
// Rejects: a missing final newline, malformed names, label names or escapes, bad values,
// HELP/TYPE given twice or TYPE after the family's samples, a family's samples not
// contiguous, duplicate series, negative counters, and histograms whose buckets are not
// cumulative, lack le="+Inf", or disagree with _count. Errors name the line.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qg::test {

struct PromSample {
  std::string name;                           // as written (e.g. x_bucket)
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string help;
  std::string type = "untyped";
  std::vector<PromSample> samples;
};

struct PromParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Families by name. Throws PromParseError("line N: ...").
std::map<std::string, PromFamily> parse_prometheus_text(std::string_view text);

// The value of the series `name{labels}` (exact label set), or `fallback` when absent.
double sample_value(const std::map<std::string, PromFamily>& families, const std::string& name,
                    const std::map<std::string, std::string>& labels, double fallback = 0);

}  // namespace qg::test
