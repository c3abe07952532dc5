// What a client can grow through the model name (the request's `model`, up to 256 bytes): the
// real binary in front of an account that serves any model (`models: []`), answered 200 by a
// scripted upstream, sent many distinct model names.
//   - quotaguard_requests_total{account,model,status}: one series per model before the bound
//     (metrics::kMaxModelLabels); past it the model label is "other", and the models seen
//     first (a real one among them) keep their own series with their account label, and so
//     does a model the configuration names, whenever it is first sent.
#include "tests/hostile/hostile_net.hpp"
#include "tests/support/daemon_process.hpp"

#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>

using namespace qg::test;

namespace {

const std::string kKey = "ck-cardinality-client";
const std::string kCompletion =
    R"({"id":"c1","object":"chat.completion","choices":[{"message":{"content":"hi"}}],)"
    R"("usage":{"prompt_tokens":3,"completion_tokens":4}})";

// The value of label `name` in a sample line ("" when absent).
std::string label_of(const std::string& line, const std::string& name) {
  const auto at = line.find(name + "=\"");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 2;
  return line.substr(start, line.find('"', start) - start);
}

// The sample lines of `family` (exact name, labels follow).
std::vector<std::string> samples(const std::string& body, const std::string& family) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(family + "{", 0) == 0) out.push_back(line);
  return out;
}

double value_of(const std::string& line) { return std::stod(line.substr(line.rfind(' ') + 1)); }

}  // namespace

TEST_CASE("distinct model names past the bound share one model=\"other\" series in quotaguard_requests_total") {
  ScriptedUpstream upstream{[](const std::string&, const ScriptedUpstream::Conn& c) {
    return c.write(http_response(200, "application/json", kCompletion));
  }};
  DaemonProcess d(DaemonOptions().config(
      "storage: {db_path: \"./qg.db\"}\n"
      "server: {api_keys: [\"" + kKey + "\"]}\n"
      "proxy: {max_attempts: 1}\n"
      "router: {policy: round_robin}\n"
      "accounts:\n"
      "  - {id: o1, provider: openai, base_url: \"" + upstream.base_url() + "\", api_key: \"sk-card\", models: []}\n"
      "  - {id: o2, provider: openai, base_url: \"" + upstream.base_url() + "\", api_key: \"sk-card-2\", models: [gpt-late]}\n"));
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  const Headers auth{{"Authorization", "Bearer " + kKey}};
  auto chat = [&](const std::string& model) {
    return d.post("/v1/chat/completions",
                  R"({"model":")" + model + R"(","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})", auth);
  };
  REQUIRE(chat("gpt-4o-mini").status == 200);  // a real model, seen first

  constexpr int kDistinct = 1000;              // past the bound (256)
  const std::string pad(200, 'x');             // long names: each series costs its bytes
  for (int i = 0; i < kDistinct; ++i) REQUIRE(chat("junk-" + std::to_string(i) + "-" + pad).status == 200);
  REQUIRE(chat("gpt-4o-mini").status == 200);
  REQUIRE(chat("gpt-late").status == 200);     // configured, first sent after the flood

  const auto metrics = d.get("/metrics");
  REQUIRE(metrics.status == 200);
  const auto lines = samples(metrics.body, "quotaguard_requests_total");
  std::set<std::string> models;
  double total = 0, other = 0, mini = 0, late = 0;
  for (const auto& l : lines) {
    const std::string model = label_of(l, "model");
    models.insert(model);
    total += value_of(l);
    if (model == "other") other += value_of(l);
    if (model == "gpt-late") late += value_of(l);
    if (model == "gpt-4o-mini") {
      CHECK(label_of(l, "account") == "o1");
      CHECK(label_of(l, "status") == "200");
      mini += value_of(l);
    }
  }
  MESSAGE("/metrics " << metrics.body.size() << " bytes, " << lines.size() << " quotaguard_requests_total series, "
                      << models.size() << " model label values");
  CHECK(total == kDistinct + 3);               // every request counted
  CHECK(mini == 2);                            // the real model keeps its series
  CHECK(late == 1);                            // a configured model too, first seen past the bound
  CHECK(models.size() <= 256 + 2);             // kMaxModelLabels, gpt-late, "other" (before: 1001)
  CHECK(other >= kDistinct - 256);
  CHECK(metrics.body.size() < 150'000);        // before: about 290 kB
}
