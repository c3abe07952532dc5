// Router settings: validation messages, runtime overrides (SettingChanged JSON), config mapping.
#include "quota/router_settings.hpp"
#include "quota/router_state.hpp"
#include "config/config_loader.hpp"
#include "config/config_yaml.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace qg;
using nlohmann::json;

TEST_CASE("router settings: defaults are valid and match the documented values") {
  RouterSettings s;
  CHECK(validate(s).empty());
  CHECK(s.thresholds.warning == 85);
  CHECK(s.thresholds.switch_at == 90);
  CHECK(s.thresholds.critical == 95);
  CHECK(s.anti_flapping.min_dwell_ms == 300'000);
  CHECK(s.breaker.failures == 5);
  CHECK(router_settings_from(RouterConfig{}) == s);
}

TEST_CASE("router settings: validation names the field") {
  RouterSettings s;
  s.thresholds.switch_at = 97;
  auto errs = validate(s);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "thresholds.switch: must be <= critical (95)");

  s = RouterSettings{};
  s.thresholds.critical = 120;
  errs = validate(s);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "thresholds.critical: must be a percent in (0, 100], got 120");

  s = RouterSettings{};
  s.fallback_chains["gpt-4o"] = {"gpt-4o", "mini", "mini"};
  errs = validate(s);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0] == "fallback_chains.gpt-4o: must not list the model itself");
  CHECK(errs[1] == "fallback_chains.gpt-4o: lists \"mini\" twice");

  s = RouterSettings{};
  s.breaker.cap_ms = 1;
  CHECK(validate(s) == std::vector<std::string>{"circuit_breaker.cap: must be >= base"});
}

TEST_CASE("router settings: apply_setting changes nothing on error") {
  RouterSettings s;
  const RouterSettings before = s;
  CHECK(apply_setting_text(s, "router.thresholds", R"({"warning":80,"switch":99})") ==
        std::vector<std::string>{"thresholds.switch: must be <= critical (95)"});
  CHECK(s == before);
  CHECK(apply_setting_text(s, "router.thresholds", R"({"warn":80})") ==
        std::vector<std::string>{"thresholds.warn: unknown field"});
  CHECK(apply_setting_text(s, "router.policy", R"("fastest")").size() == 1);
  CHECK(apply_setting_text(s, "router.policy", "{not json").front() == "router.policy: value is not valid JSON");
  CHECK(apply_setting_text(s, "router.nope", "1").front() == "router.nope: unknown router setting");
  CHECK(apply_setting_text(s, "router.anti_flapping", R"({"min_dwell":"soon"})").front() ==
        "anti_flapping.min_dwell: must be a duration such as \"30s\", \"5m\", \"6h\" or a number of ms");
  CHECK(s == before);
}

TEST_CASE("router settings: partial objects, durations and round trip through JSON") {
  RouterSettings s;
  CHECK(apply_setting_text(s, "router.thresholds", R"({"warning":70,"switch":80})").empty());
  CHECK(s.thresholds.warning == 70);
  CHECK(s.thresholds.switch_at == 80);
  CHECK(s.thresholds.critical == 95);
  CHECK(apply_setting_text(s, "router.anti_flapping", R"({"min_dwell":"90s","hysteresis":3})").empty());
  CHECK(s.anti_flapping.min_dwell_ms == 90'000);
  CHECK(apply_setting_text(s, "router.fallback_chains", R"({"gpt-4o":["gpt-4o-mini"]})").empty());
  CHECK(s.fallback_chains.at("gpt-4o") == std::vector<std::string>{"gpt-4o-mini"});
  CHECK(apply_setting_text(s, "router.policy", R"("fill_first")").empty());
  CHECK(s.policy == RoutePolicy::fill_first);
  CHECK(apply_setting_text(s, "router.all_critical", R"("reject")").empty());
  CHECK(s.all_critical == AllCritical::reject);

  const json j = router_settings_json(s);
  CHECK(j.at("anti_flapping").at("min_dwell") == "1m30s");
  CHECK(j.at("policy") == "fill_first");
  RouterSettings back;
  for (const auto& [k, v] : j.items()) CHECK(apply_setting(back, "router." + k, v).empty());
  CHECK(back == s);
}

TEST_CASE("router settings: effective settings fold the SettingChanged overrides") {
  RouterState st;
  apply(st, Event{1, 1000, "", SettingChanged{"router.policy", R"("round_robin")", "admin"}});
  apply(st, Event{2, 1000, "", SettingChanged{"router.thresholds", R"({"critical":99})", "telegram"}});
  apply(st, Event{3, 1000, "", SettingChanged{"telegram.admins", "[1]", "admin"}});
  const RouterSettings s = effective_settings(RouterSettings{}, st);
  CHECK(s.policy == RoutePolicy::round_robin);
  CHECK(s.thresholds.critical == 99);
  CHECK(s.thresholds.switch_at == 90);
}

// Issue 16 item 2: /qg_thresholds 90 90 95 was accepted at runtime while the config loader
// demanded w < s < c, so /qg_export wrote YAML that did not load. One rule now decides both.
TEST_CASE("router settings: runtime thresholds and config.yaml accept exactly the same values") {
  const double values[] = {0, 0.5, 50, 85, 90, 90.5, 95, 100, 101};
  for (double w : values)
    for (double sw : values)
      for (double c : values) {
        RouterSettings s;
        s.thresholds = RouteThresholds{w, sw, c};
        const bool runtime_ok = validate(s).empty();
        Config cfg;
        cfg.router.thresholds = ThresholdsConfig{w, sw, c};
        LoadOptions o;
        o.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
        const auto loaded = load_config_text(config_to_yaml(cfg, false), "export.yaml", o);
        INFO(w << " " << sw << " " << c << ": " << loaded.error);
        CHECK(runtime_ok == loaded.ok());
        if (runtime_ok) CHECK(loaded.config.router.thresholds == cfg.router.thresholds);
      }
  RouterSettings s;
  s.thresholds = RouteThresholds{90, 90, 95};
  CHECK(validate(s).empty());
}
