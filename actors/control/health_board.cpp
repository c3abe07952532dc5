// actors/control/health_board.cpp — see health_board.hpp.
#include "actors/control/health_board.hpp"

namespace qg {

void HealthBoard::set(const std::string& component, ComponentHealth h) {
  std::lock_guard lock(mutex_);
  components_[component] = std::move(h);
}

std::map<std::string, ComponentHealth> HealthBoard::all() const {
  std::map<std::string, ComponentHealth> all;
  {
    std::lock_guard lock(mutex_);
    all = components_;
  }
  const auto j = journal_->view();
  all["journal"] = ComponentHealth{
      true, j.ok, j.ok ? "writing" : std::to_string(j.held) + " event(s) held in memory: " + j.error,
      j.ok ? clock_() : 0};
  return all;
}

}  // namespace qg
