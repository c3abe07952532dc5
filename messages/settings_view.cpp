// messages/settings_view.cpp — see settings_view.hpp.
#include "messages/settings_view.hpp"

namespace qg {

namespace {
constexpr OperatorSetting kOperatorSettings[] = {
    {"thresholds", kSettingThresholds, ""},
    {"policy", kSettingPolicy, "policy"},
    {"fallbacks", kSettingFallbackChains, "fallback_chains"},
    {"anti_flapping", kSettingAntiFlapping, ""},
    {"all_critical", kSettingAllCritical, "all_critical"},
};
}  // namespace

const OperatorSetting* operator_setting(std::string_view name) {
  for (const auto& s : kOperatorSettings)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace qg
