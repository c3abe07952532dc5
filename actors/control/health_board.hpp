// actors/control/health_board.hpp — each running component's health, for GET /api/v1/status.
//
// Components (the CLIProxyAPI collector, the Telegram bot, ...) report here from their own
// threads; the journal's write status (messages/journal_health.hpp) is read live and shown as
// the "journal" component. Thread-safe.
#pragma once

#include "messages/journal_health.hpp"
#include "messages/status_view.hpp"
#include "messages/wall_clock.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace qg {


class HealthBoard {
 public:
  HealthBoard(std::shared_ptr<const JournalHealth> journal, Clock clock)
      : journal_(std::move(journal)), clock_(std::move(clock)) {}

  void set(const std::string& component, ComponentHealth h);
  // Every component's health, "journal" (writing the event log or not) included.
  std::map<std::string, ComponentHealth> all() const;

 private:
  std::shared_ptr<const JournalHealth> journal_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, ComponentHealth> components_;
};

}  // namespace qg
