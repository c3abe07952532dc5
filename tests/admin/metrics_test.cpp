// tests/admin/metrics_test.cpp — the metrics registry, its Prometheus text, and the strict
// parser the route tests rely on.
#include "metrics/exposition.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/quotaguard_metrics.hpp"
#include "metrics/registry.hpp"
#include "tests/admin/prometheus_text.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <cmath>
#include <thread>

using namespace qg::metrics;
using qg::test::parse_prometheus_text;
using qg::test::PromParseError;
using qg::test::sample_value;

TEST_CASE("values are written as Prometheus reads them") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(1) == "1");
  CHECK(format_value(0.005) == "0.005");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(INFINITY) == "+Inf");
  CHECK(format_value(-INFINITY) == "-Inf");
  CHECK(format_value(NAN) == "NaN");
}

TEST_CASE("label values and HELP text are escaped") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_help("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
}

TEST_CASE("a registry renders counters, gauges and histograms that parse back exactly") {
  Registry r;
  auto& c = r.counter("t_requests_total", "Requests.\nSecond line", {"account", "status"});
  c.with({"acc \"x\"\\1\n", "200"}).inc(3);
  c.with({"acc-b", "500"}).inc();
  auto& g = r.gauge("t_temperature", "A gauge.");
  g.with({}).set(-2.5);
  auto& h = r.histogram("t_latency_seconds", "Latency.", {0.1, 1}, {"route"});
  auto& child = h.with({"/x"});
  child.observe(0.05);
  child.observe(0.1);   // on the bound: counts in le="0.1"
  child.observe(0.5);
  child.observe(7);
  const auto fams = parse_prometheus_text(r.render());

  REQUIRE(fams.count("t_requests_total"));
  CHECK(fams.at("t_requests_total").type == "counter");
  CHECK(fams.at("t_requests_total").help == "Requests.\\nSecond line");
  CHECK(sample_value(fams, "t_requests_total", {{"account", "acc \"x\"\\1\n"}, {"status", "200"}}) == 3);
  CHECK(sample_value(fams, "t_requests_total", {{"account", "acc-b"}, {"status", "500"}}) == 1);
  CHECK(sample_value(fams, "t_temperature", {}) == -2.5);
  CHECK(fams.at("t_latency_seconds").type == "histogram");
  CHECK(sample_value(fams, "t_latency_seconds_bucket", {{"route", "/x"}, {"le", "0.1"}}) == 2);
  CHECK(sample_value(fams, "t_latency_seconds_bucket", {{"route", "/x"}, {"le", "1"}}) == 3);
  CHECK(sample_value(fams, "t_latency_seconds_bucket", {{"route", "/x"}, {"le", "+Inf"}}) == 4);
  CHECK(sample_value(fams, "t_latency_seconds_count", {{"route", "/x"}}) == 4);
  CHECK(sample_value(fams, "t_latency_seconds_sum", {{"route", "/x"}}) == doctest::Approx(7.65));
}

TEST_CASE("a label set resolves to the same child, and registration is idempotent") {
  Registry r;
  auto& f = r.counter("t_total", "x", {"a"});
  CHECK(&f.with({"1"}) == &f.with({"1"}));
  CHECK(&r.counter("t_total", "x", {"a"}) == &f);
  CHECK_THROWS_AS(r.gauge("t_total", "x", {"a"}), std::logic_error);
  CHECK_THROWS_AS(r.counter("t_total", "x", {"b"}), std::logic_error);
}

TEST_CASE("label sets beyond the cap share one 'other' child") {
  Registry r;
  auto& f = r.counter("t_capped_total", "x", {"model"});
  for (std::size_t i = 0; i < kMaxChildren; ++i) f.with({std::to_string(i)}).inc();
  f.with({"one-too-many"}).inc();
  f.with({"and-another"}).inc();
  CHECK(&f.with({"x-new"}) == &f.with({"other"}));
  CHECK(f.with({"0"}).value() == 1);
  const auto fams = parse_prometheus_text(r.render());
  CHECK(sample_value(fams, "t_capped_total", {{"model", "other"}}) == 2);
}

TEST_CASE("model labels: the first kMaxModelLabels distinct models keep their own value, later ones are \"other\"") {
  // Process-wide: names this binary uses nowhere else.
  CHECK(model_label("").empty());                      // no model is not a model name
  const std::string_view first = model_label("ml-first");
  CHECK(first == "ml-first");
  CHECK(model_label("ml-first").data() == first.data());  // the admitted copy, not a new one
  for (std::size_t i = 0; i < kMaxModelLabels; ++i) (void)model_label("ml-" + std::to_string(i));
  CHECK(model_label("ml-one-too-many") == "other");
  CHECK(model_label("ml-first") == "ml-first");        // admitted before the bound: kept
  CHECK(model_label("ml-0") == "ml-0");
  CHECK(model_label("").empty());
}

TEST_CASE("concurrent increments are all counted") {
  Registry r;
  auto& c = r.counter("t_concurrent_total", "x").with({});
  auto& h = r.histogram("t_concurrent_seconds", "x", {1}).with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.5);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(c.value() == 40000);
  CHECK(h.bucket_counts()[0] == 40000);
  CHECK(h.sum() == doctest::Approx(20000));
}

TEST_CASE("snapshot families replace their whole sample set") {
  Registry r;
  auto& s = r.snapshot("t_ratio", "x", MetricType::gauge, {"account"});
  s.replace({{{"a"}, 0.5}, {{"b"}, 1}});
  auto fams = parse_prometheus_text(r.render());
  CHECK(sample_value(fams, "t_ratio", {{"account", "a"}}) == 0.5);
  s.replace({{{"b"}, 0.25}});
  fams = parse_prometheus_text(r.render());
  CHECK(sample_value(fams, "t_ratio", {{"account", "a"}}, -1) == -1);
  CHECK(sample_value(fams, "t_ratio", {{"account", "b"}}) == 0.25);
  CHECK_THROWS_AS(r.snapshot("t_hist", "x", MetricType::histogram), std::logic_error);
}

TEST_CASE("process metrics come from /proc") {
  const ProcessSample s = read_process_sample();
  CHECK(s.resident_memory_bytes > 1024 * 1024);
  CHECK(s.open_fds >= 3);
  CHECK(s.virtual_memory_bytes >= s.resident_memory_bytes);
  CHECK(s.max_fds >= s.open_fds);
  const double now = std::chrono::duration<double>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(s.start_time_seconds > now - 3600);
  CHECK(s.start_time_seconds <= now + 1);
  CHECK(s.cpu_seconds >= 0);
}

TEST_CASE("the QuotaGuard catalogue renders every family, parseable") {
  register_quotaguard_metrics();
  requests_total().with({"acc-a", "gpt-4o-mini", "200"}).inc();
  journal_batch_size().with({}).observe(64);
  const auto fams = parse_prometheus_text(registry().render());
  for (const char* name :
       {"quotaguard_requests_total", "quotaguard_request_duration_seconds",
        "quotaguard_upstream_duration_seconds", "quotaguard_stream_ttfb_seconds",
        "quotaguard_quota_used_ratio", "quotaguard_open_reservations",
        "quotaguard_route_switches_total", "quotaguard_cooldowns_active",
        "quotaguard_journal_append_seconds", "quotaguard_journal_batch_size",
        "quotaguard_events_total", "quotaguard_accounts", "quotaguard_api_requests_total",
        // issue 16 item 10: the standard names, as Prometheus client libraries export them
        "process_resident_memory_bytes", "process_virtual_memory_bytes",
        "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
        "process_start_time_seconds",
        "quotaguard_build_info"}) {
    INFO(name);
    REQUIRE(fams.count(name));
    CHECK(fams.at(name).type != "untyped");
    CHECK(!fams.at(name).help.empty());
  }
  CHECK(fams.at("process_cpu_seconds_total").type == "counter");
  CHECK(sample_value(fams, "process_resident_memory_bytes", {}) > 0);
  CHECK(sample_value(fams, "process_virtual_memory_bytes", {}) >=
        sample_value(fams, "process_resident_memory_bytes", {}));
  CHECK(sample_value(fams, "process_max_fds", {}) >= sample_value(fams, "process_open_fds", {}));
  for (const auto& [name, family] : fams) CHECK_MESSAGE(name.rfind("quotaguard_process_", 0) != 0, name);
  CHECK(sample_value(fams, "quotaguard_journal_batch_size_bucket", {{"le", "64"}}) >= 1);
}

TEST_CASE("the strict parser rejects malformed exposition text") {
  const char* bad[] = {
      "x 1",                                                  // no final newline
      "1x 1\n",                                               // bad name
      "x{a=\"1} 1\n",                                         // unterminated value
      "x{a=\"\\t\"} 1\n",                                     // bad escape
      "x{__a=\"1\"} 1\n",                                     // reserved label name
      "x{a=\"1\",a=\"2\"} 1\n",                               // repeated label
      "x one\n",                                              // bad value
      "x 1\nx 2\n",                                           // duplicate series
      "x{a=\"1\"} 1\ny 1\nx{a=\"2\"} 1\n",                    // not contiguous
      "# TYPE x counter\nx -1\n",                             // negative counter
      "# TYPE x counter\n# TYPE x gauge\n",                   // TYPE twice
      "x 1\n# TYPE x gauge\n",                                // TYPE after samples
      "# TYPE x widget\n",                                    // unknown type
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_THROWS_AS(parse_prometheus_text(text), PromParseError);
  }
  CHECK_NOTHROW(parse_prometheus_text("# HELP x y\n# TYPE x gauge\nx{a=\"b\\\"\"} 1.5e3 1700000000000\n"));
}

TEST_CASE("the Grafana dashboard is valid JSON and queries only families that exist") {
  std::ifstream in(std::string(QG_SOURCE_DIR) + "/docs/grafana-dashboard.json");
  REQUIRE(in);
  const auto dash = nlohmann::json::parse(in, nullptr, false);
  REQUIRE_FALSE(dash.is_discarded());
  REQUIRE(dash["panels"].is_array());
  register_quotaguard_metrics();
  const auto fams = parse_prometheus_text(registry().render());
  const std::regex name_re("(quotaguard|process)_[a-z_]+");  // process_*: standard names
  std::size_t names = 0;
  for (const auto& panel : dash["panels"]) {
    REQUIRE(panel["targets"].is_array());
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"];
      for (std::sregex_iterator it(expr.begin(), expr.end(), name_re), end; it != end; ++it) {
        std::string name = it->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          const std::string s(suffix);
          if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
              fams.count(name.substr(0, name.size() - s.size())))
            name = name.substr(0, name.size() - s.size());
        }
        INFO(panel["title"].get<std::string>() << ": " << name);
        CHECK(fams.count(name) == 1);
        ++names;
      }
    }
  }
  CHECK(names >= 15);
}

// docs/ADMIN_API.md "Metrics" is the catalogue users read: a family added in code without a row
// there (or a row left after its family went) fails here, with the type checked as well.
TEST_CASE("docs/ADMIN_API.md's metrics table lists exactly the families /metrics renders") {
  std::ifstream in(std::string(QG_SOURCE_DIR) + "/docs/ADMIN_API.md");
  REQUIRE(in);
  const std::regex row_re(R"(^\| `((?:quotaguard|process)_[a-z_]+)` \| ([a-z]+) \|)");
  std::map<std::string, std::string> documented;  // name -> type
  bool in_metrics = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_metrics = line.rfind("## Metrics", 0) == 0;
    std::smatch m;
    if (in_metrics && std::regex_search(line, m, row_re)) documented[m[1]] = m[2];
  }
  register_quotaguard_metrics();
  const auto fams = parse_prometheus_text(registry().render());
  for (const auto& [name, type] : documented) {
    INFO("documented, not rendered: " << name);
    REQUIRE(fams.count(name) == 1);
    CHECK(fams.at(name).type == type);
  }
  for (const auto& [name, family] : fams) {
    INFO("rendered, not documented: " << name);
    CHECK(documented.count(name) == 1);
  }
  CHECK(documented.size() >= 25);
}

TEST_CASE("model labels: a configured model keeps its own value even past the bound, a pattern admits no name") {
  // Process-wide state: fill the bound with names of this case's own (a no-op once full).
  for (std::size_t i = 0; i <= kMaxModelLabels; ++i) (void)model_label("kl-" + std::to_string(i));
  CHECK(model_label("kl-configured") == "other");     // a client's name past the bound
  keep_model_labels({"kl-configured", "kl-*", ""});
  CHECK(model_label("kl-configured") == "kl-configured");  // before: "other"
  CHECK(model_label("kl-other-name") == "other");     // the pattern admitted no name
  CHECK(model_label("kl-*") == "other");
}
