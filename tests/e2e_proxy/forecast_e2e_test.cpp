// tests/e2e_proxy/forecast_e2e_test.cpp — issue 18 §1 on the real binary: traffic through the
// proxy, then GET /api/v1/forecast, the `forecast` of each window in GET /api/v1/accounts,
// `quotaguard forecast [--json]` (live and offline from the log) and the FORECAST column of
// `quotaguard quotas`. The burn rate is recomputed here from the committed events in the log
// with the documented formula (docs/FORECAST.md), independently of quota/burn_rate.cpp.
#include "tests/e2e_proxy/e2e_fixture.hpp"
#include "tests/http/fake_provider_process.hpp"
#include "messages/civil_time.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace qg::test;
using nlohmann::json;

namespace {

constexpr double kHalfLifeMs = 15 * 60'000;

// docs/FORECAST.md: rate = lambda * level(now) / (1 - exp(-lambda * max(now - since, half_life))).
double expected_rate_per_s(const std::vector<std::int64_t>& commit_ts, std::int64_t now) {
  if (commit_ts.empty()) return 0;
  const double lambda = std::log(2.0) / kHalfLifeMs;
  double level = 0;
  for (auto ts : commit_ts) level += std::exp(-lambda * static_cast<double>(now - ts));
  const double span = std::max<double>(static_cast<double>(now - commit_ts.front()), kHalfLifeMs);
  return 1000.0 * lambda * level / (1.0 - std::exp(-lambda * span));
}

std::int64_t ms(const json& t) { return qg::parse_utc_ms(t.get<std::string>()).value_or(0); }

const json* find_id(const json& list, const std::string& id) {
  for (const auto& x : list)
    if (x.value("id", "") == id) return &x;
  return nullptr;
}

}  // namespace

TEST_CASE("forecast: GET /api/v1/forecast - window forecasts in accounts - quotaguard forecast and quotas on the real binary") {
  FakeProviderProcess fake({"--models", "m1"});
  E2eDaemon qg;
  qg.start({{"a1", fake.port(), "sk-e2e-fc-one", 12, "openai", "/v1", "[\"m1\"]"},
            {"a2", fake.port(), "sk-e2e-fc-two", 5000, "openai", "/v1", "[\"m1\"]"}},
           "router:\n  fallback_chains:\n    m1: [m2]\n");
  for (int i = 0; i < 10; ++i) REQUIRE(qg.chat("m1").status == 200);

  // Which account committed when, from the log.
  std::map<std::string, std::vector<std::int64_t>> commits;
  std::map<std::string, std::int64_t> used;
  for (const auto& e : qg.events()) {
    if (e["type"] == "ReservationCommitted") {
      commits[e["account"]].push_back(ms(e["ts"]));
      used[e["account"]] += e["data"]["usage"]["requests"].get<std::int64_t>();
    }
  }
  REQUIRE(used["a1"] + used["a2"] == 10);

  const auto reply = qg.daemon->get("/api/v1/forecast");
  REQUIRE(reply.status == 200);
  const json f = json::parse(reply.body);
  const std::int64_t at = ms(f["at"]);
  CHECK(f["half_life_s"] == 900);
  REQUIRE(f["accounts"].size() == 2);
  for (const std::string id : {"a1", "a2"}) {
    const json* a = find_id(f["accounts"], id);
    REQUIRE(a);
    REQUIRE((*a)["windows"].size() == 1);
    const json& w = (*a)["windows"][0];
    CHECK(w["metric"] == "requests");
    CHECK(w["window"] == "1d");
    CHECK(w["used"] == used[id]);
    const double rate = expected_rate_per_s(commits[id], at);
    CHECK(w["rate_per_s"].get<double>() == doctest::Approx(rate).epsilon(1e-6));
    const std::int64_t limit = w["limit"];
    const std::int64_t reset = ms(w["reset_at"]);
    if (rate == 0) {
      CHECK(w["verdict"] == "idle");
      CHECK(w["unused_at_reset"] == limit - used[id]);
      continue;
    }
    const double exhausts = static_cast<double>(at) + std::ceil((limit - used[id]) / (rate / 1000.0));
    if (exhausts < static_cast<double>(reset)) {
      CHECK(w["verdict"] == "runs_out");
      CHECK(static_cast<double>(ms(w["exhausts_at"])) == doctest::Approx(exhausts).epsilon(1e-9));
      CHECK(w["short_by_s"].get<std::int64_t>() == (reset - ms(w["exhausts_at"])) / 1000);
      CHECK(w["unused_at_reset"] == 0);
    } else {
      CHECK(w["verdict"] == "resets_first");
      const double projected = used[id] + rate / 1000.0 * static_cast<double>(reset - at);
      CHECK(w["unused_at_reset"] == limit - static_cast<std::int64_t>(std::ceil(projected)));
    }
  }
  // a1: 12 a day, most of it used at ~5.5 x (its requests) per hour: it runs out long before midnight
  // unless it took no traffic at all.
  if (used["a1"] >= 2) CHECK(find_id(f["accounts"], "a1")->at("windows")[0]["verdict"] == "runs_out");

  // The pool of m1 (and of its fallback m2: no account serves m2) holds both accounts.
  REQUIRE(f["pools"].size() == 1);
  CHECK(f["pools"][0]["model"] == "m1");
  CHECK(f["pools"][0]["chain"] == json::array({"m1", "m2"}));
  CHECK(f["pools"][0]["accounts"].size() == 2);

  // GET /api/v1/accounts: each window carries the same verdict.
  const json accounts = json::parse(qg.daemon->get("/api/v1/accounts").body)["accounts"];
  for (const std::string id : {"a1", "a2"}) {
    const json* a = find_id(accounts, id);
    REQUIRE(a);
    CHECK((*a)["windows"][0]["forecast"]["verdict"] == find_id(f["accounts"], id)->at("windows")[0]["verdict"]);
  }

  // The CLI: live through the daemon, then offline from the log once it stopped.
  const std::string url = qg.daemon->base_url();
  auto live = run_quotaguard({"forecast", "--json", "--url", url});
  REQUIRE_MESSAGE(live.exit_code == 0, live.err);
  const json cli = json::parse(live.out);
  CHECK(cli["source"] == "daemon at " + url);
  REQUIRE(cli["pools"].size() == 1);
  CHECK(cli["pools"][0]["model"] == "m1");
  auto text = run_quotaguard({"forecast", "--url", url});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("MODEL") != std::string::npos);
  CHECK(text.out.find("m1") != std::string::npos);
  CHECK(text.out.find("m1 > m2") != std::string::npos);
  auto quotas = run_quotaguard({"quotas", "--url", url});
  REQUIRE(quotas.exit_code == 0);
  CHECK(quotas.out.find("FORECAST") != std::string::npos);
  if (used["a1"] >= 2) CHECK(quotas.out.find("runs out in") != std::string::npos);

  CHECK(qg.daemon->stop() == 0);
  auto offline = run_quotaguard({"forecast", "--json", "--config", qg.daemon->config_path(), "--db", qg.db_path()});
  REQUIRE_MESSAGE(offline.exit_code == 0, offline.err);
  const json off = json::parse(offline.out);
  CHECK(off["source"].get<std::string>().rfind("offline (from event log at seq ", 0) == 0);
  for (const std::string id : {"a1", "a2"}) {
    const json* a = find_id(off["accounts"], id);
    REQUIRE(a);
    CHECK((*a)["windows"][0]["used"] == used[id]);
    // the rate is rebuilt from the log (snapshots carry it), a few seconds later
    const double rate = expected_rate_per_s(commits[id], ms(off["at"]));
    CHECK((*a)["windows"][0]["rate_per_s"].get<double>() == doctest::Approx(rate).epsilon(1e-6));
  }
  CHECK(qg.verify() == 0);
}
