// Explain: the JSON for a fixed scenario matches the expected decision and reasons exactly.
#include "actors/router/route_explain.hpp"
#include "http/route_explanation_json.hpp"
#include "messages/route_explanation_text.hpp"
#include "router_world.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace qg;
using namespace qg::test;
using nlohmann::json;

namespace {
std::string read_text(const std::string& name) {
  std::ifstream in(std::string(QG_SOURCE_DIR) + "/tests/fixtures/router/" + name);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
json read_fixture(const std::string& name) { return json::parse(read_text(name)); }

// alpha: healthy; bravo: in a 429 cooldown; charlie: would pass critical; delta: other models.
RouterWorld fixed_scenario(TimeMs now) {
  RouterWorld w;
  w.add_account("alpha", 10, 0, {}, kT0);
  w.add_account("bravo", 5, 0, {}, kT0);
  w.add_account("charlie", 0, 0, {}, kT0);
  w.add_account("delta", 0, 0, {"claude-*"}, kT0);
  w.observe("alpha", Metric::requests, 86'400, 1000, 499, kT0 + kDayMs, now);
  w.observe("bravo", Metric::requests, 86'400, 1000, 100, kT0 + kDayMs, now);
  w.observe("charlie", Metric::requests, 86'400, 1000, 960, kT0 + kDayMs, now);
  w.outcome("bravo", outcome_of(OutcomeKind::rate_limited, now + 30'000, 429), now);
  return w;
}
}  // namespace

TEST_CASE("explain JSON for a fixed scenario matches the expected decision and reasons") {
  const TimeMs now = kT0 + 12 * 3'600'000;
  RouterWorld w = fixed_scenario(now);
  const RouteDecision d = decide(w.view, w.router, RouteRequest{"gpt-4o", "", {1, 0, 0}, {}}, w.settings, now,
                            w.runtime, DecideOptions{true, 4});
  const RouteExplanation x = explain(d, w.view, w.settings, now);
  const json actual = route_explanation_json(x);
  INFO(actual.dump(2));
  CHECK(actual == read_fixture("explain_fixed_scenario.json"));
  CHECK(route_explanation_from_json(actual) == x);  // what the CLI reads back from a daemon

  const std::string text = explain_text(x);
  CHECK(text.find("chosen: alpha\nswitch: (none) -> alpha (initial)\n") != std::string::npos);
  CHECK(text.find("  alpha  score 53.50  after 50.0%  zone normal\n"
                  "      requests/1d  499 used + 0 reserved of 1000  resets 2026-12-02T00:00:00.000Z\n") !=
        std::string::npos);
  CHECK(text.find("  charlie  [gpt-4o] above_critical: would reach 96.1%") != std::string::npos);
  CHECK_FALSE(route_explanation_from_json(json("garbage")));  // the CLI says "unexpected answer"
}

TEST_CASE("explain JSON when nothing qualifies carries the error kind and Retry-After") {
  const TimeMs now = kT0 + 12 * 3'600'000;
  RouterWorld w = fixed_scenario(now);
  w.apply_event("alpha", AccountDrained{"admin"}, now);
  w.settings.all_critical = AllCritical::reject;
  const RouteDecision d = decide(w.view, w.router, RouteRequest{"gpt-4o", "", {1, 0, 0}, {}}, w.settings, now,
                            w.runtime, DecideOptions{true, 4});
  const json j = route_explanation_json(explain(d, w.view, w.settings, now));
  INFO(j.dump(2));
  CHECK(j.at("chosen").is_null());
  CHECK(j.at("error").at("kind") == "quota_exhausted");
  CHECK(j.at("error").at("retry_at") == "2026-12-01T12:00:30.000Z");
  CHECK(j.at("error").at("retry_after_s") == 30);
  CHECK(j.at("error").at("message") ==
        "no account can take this request for model gpt-4o: 1 above_critical, 1 cooldown, 1 draining");
  CHECK(j.at("excluded").size() == 4);
}

// The bytes GET /api/v1/route answers (the compact dump) and `quotaguard route` prints (the
// text, and `--json`'s indented dump), pinned whole for three decisions: one chosen with a
// switch, one refused, one under `paced` (its pace lines).
TEST_CASE("explain bytes and text are pinned for a chosen, a refused and a paced decision") {
  const TimeMs now = kT0 + 12 * 3'600'000;
  RouteRequest ask;
  ask.model = "gpt-4o";
  RouterWorld chosen = fixed_scenario(now);
  RouterWorld refused = fixed_scenario(now);
  refused.apply_event("alpha", AccountDrained{"admin"}, now);
  refused.settings.all_critical = AllCritical::reject;
  RouterWorld paced = fixed_scenario(now);
  paced.settings.policy = RoutePolicy::paced;
  paced.settings.fallback_chains["gpt-4o"] = {"gpt-4o-mini"};
  for (auto [name, w] : {std::pair{"chosen", &chosen}, std::pair{"refused", &refused}, std::pair{"paced", &paced}}) {
    const RouteDecision d = decide(w->view, w->router, ask, w->settings, now, w->runtime, DecideOptions{true, 4});
    const RouteExplanation x = explain(d, w->view, w->settings, now);
    const json j = route_explanation_json(x);
    CAPTURE(name);
    CHECK(j.dump() + "\n" == read_text(std::string("explain_pin_") + name + ".json"));
    CHECK(j.dump(2) + "\n" == read_text(std::string("explain_pin_") + name + ".indented.json"));
    CHECK(explain_text(x) == read_text(std::string("explain_pin_") + name + ".txt"));
    // `quotaguard route` against a daemon: its JSON read back prints the same text
    const auto from_daemon = route_explanation_from_json(json::parse(j.dump()));
    REQUIRE(from_daemon);
    CHECK(explain_text(*from_daemon) == read_text(std::string("explain_pin_") + name + ".txt"));
  }
}
