// fuzz/settings_fuzz.cpp — libFuzzer target: router settings as the admin API, Telegram and
// replay hand them over (quota/router_settings apply_setting_text). The first byte picks the
// key (policy, thresholds, anti_flapping, fallback_chains, all_critical, route_by_client_key,
// circuit_breaker); the rest is the JSON value. Beyond "no crash/UB" (nesting bound included):
// accepted settings hold only bounded names (issue 15 item 9: fallback chains of at most
// kMaxListItems models and alternatives, each at most kMaxNameBytes without control
// characters), a refused value leaves the settings as they were, and no error message is
// longer than a bounded name can make it (the value is never quoted whole).
#include "fuzz/fuzz_input.hpp"
#include "messages/text_bounds.hpp"
#include "quota/router_settings.hpp"

#include <cstdlib>

namespace {

bool bounded_name(const std::string& s) { return s.size() <= qg::kMaxNameBytes && !qg::has_control_character(s); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kKeys[] = {qg::kSettingPolicy,       qg::kSettingThresholds,
                                               qg::kSettingAntiFlapping, qg::kSettingFallbackChains,
                                               qg::kSettingAllCritical,  qg::kSettingRouteByClientKey,
                                               qg::kSettingCircuitBreaker};
  const std::string_view key = kKeys[data[0] % std::size(kKeys)];
  const std::string_view text = qg::fuzz::as_view(data + 1, size - 1);
  qg::RouterSettings settings;
  settings.fallback_chains["seed"] = {"alt"};
  const qg::RouterSettings before = settings;
  const auto errors = qg::apply_setting_text(settings, key, text);
  for (const auto& e : errors)
    if (e.size() > 2 * qg::kMaxNameBytes + 200) std::abort();  // a value was echoed
  if (!errors.empty()) {
    if (settings.fallback_chains != before.fallback_chains || settings.policy != before.policy) std::abort();
    return 0;
  }
  if (settings.fallback_chains.size() > qg::kMaxListItems) std::abort();
  for (const auto& [model, alts] : settings.fallback_chains) {
    if (!bounded_name(model) || alts.size() > qg::kMaxListItems) std::abort();
    for (const auto& a : alts)
      if (!bounded_name(a)) std::abort();
  }
  return 0;
}
