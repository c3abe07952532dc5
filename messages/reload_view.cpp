// messages/reload_view.cpp
#include "messages/reload_view.hpp"

#include <nlohmann/json.hpp>

namespace qg {

nlohmann::json reload_view_json(const ReloadView& v) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : v.account_changes) changes.push_back({{"account", c.account}, {"type", c.type}});
  return {{"status", v.errors.empty() ? "reloaded" : "partial"}, {"account_changes", changes}, {"errors", v.errors}};
}

}  // namespace qg
